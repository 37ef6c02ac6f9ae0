#!/usr/bin/env bash
# The whole test suite: the README's test command, and what CI runs (.ci/run).
#
# Works on a fresh Debian 12 machine (as root it installs the apt packages it needs) and on a
# developer's machine. Steps, cheapest first: Python tests (unit, rule fixtures with Elixir's
# parser as oracle, pytest-lsp end to end), then Neovim/Emacs/Helix/Zed, then VS Code.
#   tests/run.sh            everything
#   tests/run.sh python     only the Python tests (also: editors, vscode)
# Ends with one line: "N passed, N failed".

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
ONLY=${1:-all}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\n=== %s\n' "$*"; }

# -- system packages (Elixir is the oracle; the editors are real) ---------------------------
APT_PACKAGES="elixir neovim emacs-nox elpa-eglot chromium libkrb5-dev"
missing=""
for pkg in $APT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing apt packages:$missing"
        apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null \
            || { echo "apt-get install failed"; exit 2; }
    else
        echo "missing system packages:$missing (install them, or run as root)"
    fi
fi

# -- the server, in the repo's virtualenv ---------------------------------------------------
say "python environment"
[ -x .venv/bin/python ] || python3 -m venv .venv || exit 2
.venv/bin/pip install -q -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import mpg_lsp, pytest_lsp" || { echo "pip install failed"; exit 2; }

total_passed=0
total_failed=0
declare -a summary

run_step() {
    local name=$1; shift
    local log
    log=$(mktemp)
    say "$name"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line passed failed
    line=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -n 1)
    passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    failed=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    errors=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    failed=$((failed + errors))
    if [ "$rc" = 5 ]; then
        echo "$name: no tests were collected"  # pytest's exit 5 is a broken suite, not a pass
        failed=$((failed + 1))
    elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
        failed=1
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    summary+=("$name: $passed passed, $failed failed (exit $rc)")
    rm -f "$log"
}

if [ "$ONLY" = all ] || [ "$ONLY" = python ]; then
    run_step "python: unit, rule fixtures, pytest-lsp" .venv/bin/python -m pytest -q -p no:cacheprovider
fi
if [ "$ONLY" = all ] || [ "$ONLY" = editors ]; then
    run_step "editors: Neovim 0.7/0.11, Emacs, Helix, Zed" bash tests/clients/editors/run.sh
fi
if [ "$ONLY" = all ] || [ "$ONLY" = vscode ]; then
    run_step "editors: VS Code (code-server + Chromium)" bash tests/clients/vscode/run.sh
fi

say "summary"
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
