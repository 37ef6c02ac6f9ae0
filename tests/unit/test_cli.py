"""The installed console script on fixture projects: formats, exit codes, and `fix`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from projects import FIXTURES, SAMPLE, copy_project, elixir_errors, toml_error

SCRIPT = shutil.which("mpg-lsp", path=os.path.dirname(os.sys.executable)) or "mpg-lsp"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_check_text_and_exit_codes(tmp_path: Path) -> None:
    out = run("check", str(SAMPLE))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert any(":22:23: MPG101 " in line and line.endswith("behind the pooler.") for line in lines)
    assert lines[-1] == "Found 3 problems (3 fixable with `mpg-lsp fix`) in 1 project."
    clean = run("check", str(FIXTURES / "compliant"))
    assert (clean.returncode, clean.stdout.strip()) == (0, "All checks passed (1 project).")
    assert run("check", str(tmp_path / "missing")).returncode == 2
    empty = run("check", str(tmp_path))
    assert empty.returncode == 2 and "no Elixir project" in empty.stderr
    assert run("check", "--format", "yaml").returncode == 2


def test_check_json(tmp_path: Path) -> None:
    out = run("check", "--format", "json", str(SAMPLE))
    items = json.loads(out.stdout)
    assert {i["code"] for i in items} == {"MPG101", "MPG201", "MPG301"}
    mpg101 = next(i for i in items if i["code"] == "MPG101")
    assert mpg101["start"] == {"line": 22, "column": 23} and mpg101["path"].endswith("config/runtime.exs")


def test_check_does_not_import_pygls() -> None:
    code = "import sys; from mpg_lsp.cli import main; main(['check', sys.argv[1]]) ; print('pygls' in sys.modules)"
    out = subprocess.run([os.sys.executable, "-c", code, str(SAMPLE)], capture_output=True, text=True)
    assert out.stdout.strip().endswith("False")


@pytest.mark.parametrize("case", ["storefront", "multiline_trailing_comma", "repo_options"])
def test_fix_writes_valid_files_and_diff_writes_nothing(case: str, tmp_path: Path) -> None:
    src = SAMPLE if case == "storefront" else FIXTURES / case
    root = copy_project(src, tmp_path / case)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    diff = run("fix", "--diff", str(root))
    assert diff.returncode == 1 and diff.stdout.startswith("--- ")
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    fixed = run("fix", str(root))
    assert fixed.returncode in (0, 1) and "Fixed" in fixed.stdout.splitlines()[-1]
    changed = [p for p in before if p.read_bytes() != before[p]]
    assert changed
    assert elixir_errors([p for p in changed if p.suffix == ".exs"]) == {}
    assert [p for p in changed if p.suffix == ".toml" and toml_error(p)] == []
    again = run("check", str(root))
    fixable = [line for line in again.stdout.splitlines() if "MPG" in line]
    assert "0 fixable" in again.stdout.splitlines()[-1] or again.returncode == 0, fixable


def test_fix_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    fly.chmod(0o640)
    run("fix", str(root))
    assert oct(fly.stat().st_mode & 0o777) == "0o640"
    assert not [p for p in root.rglob(".mpg-lsp-*")]
