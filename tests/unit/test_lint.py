"""The project's own checks: ruff and mypy --strict on the whole package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from projects import REPO

BIN = REPO / ".venv" / "bin"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(
        name, path=str(Path(sys.executable).parent)
    )
    assert found, f"{name} is missing: the test extra installs it (pip install -e '.[test]')"
    return found


def test_ruff() -> None:
    out = subprocess.run(
        [_tool("ruff"), "check", "server", "tests"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict() -> None:
    out = subprocess.run(
        [_tool("mypy"), "--strict", "server/mpg_lsp"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
