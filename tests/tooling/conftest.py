"""Tests that drive other tools (ruff, mypy, pip's wheel build, pre-commit, the SARIF
validator): they are most of the Python suite's time, so they carry the ``slow`` marker.
`pytest -m "not slow"` leaves them out; the README's test command runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.slow)
