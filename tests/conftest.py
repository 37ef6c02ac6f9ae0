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
