"""The project's own checks: ruff (lint and format) on the package and the tests, mypy --strict
on the package and mypy on the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_ruff_format() -> None:
    """Every file as `ruff format` writes it (line length and style from pyproject.toml)."""
    out = subprocess.run(
        [_tool("ruff"), "format", "--check", "server", "tests"],
        cwd=REPO,
        capture_output=True,
        text=True,
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


# One run per folder: each has a conftest.py of its own, and mypy wants one module per name.
TEST_FOLDERS = (
    ["tests/conftest.py", "tests/projects.py", "tests/command_line.py"],
    ["tests/unit"],
    ["tests/lsp"],
    ["tests/hardening"],
    ["tests/clients"],
    ["tests/tooling"],
    ["tests/bench"],
)


@pytest.mark.parametrize("paths", TEST_FOLDERS, ids=lambda paths: paths[-1])
def test_mypy_tests(paths: list[str]) -> None:
    """The tests are type-checked too (settings in pyproject.toml's [tool.mypy])."""
    out = subprocess.run(
        [_tool("mypy"), *paths], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout + out.stderr
