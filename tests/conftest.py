"""Shared fixtures. Helpers live in projects.py (fixture projects, oracles)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from projects import SAMPLE, copy_project

os.environ.setdefault("MPG_LSP_LOG", "WARNING")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_project(SAMPLE, tmp_path / "storefront")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI tests' golden workspace (command_line.GOLDEN_PROJECTS), one per test module."""
    from command_line import golden_workspace

    return golden_workspace(tmp_path_factory.mktemp("workspace"))
