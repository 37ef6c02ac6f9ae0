"""The project's own checks: ruff on the package, mypy (strict on project/ and rules/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from projects import REPO

BIN = REPO / ".venv" / "bin"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is missing: the test extra installs it (pip install -e '.[test]')"
    return found


def test_ruff() -> None:
    out = subprocess.run([_tool("ruff"), "check", "server"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_on_the_pure_layers() -> None:
    out = subprocess.run(
        [_tool("mypy"), "--strict", "server/mpg_lsp/project", "server/mpg_lsp/rules", "server/mpg_lsp/syntax"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
