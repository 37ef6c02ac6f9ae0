"""The hardening suite prints what it checked, for the README's "Reliability" figures."""

from __future__ import annotations

import sys

import pytest
from harness import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    # the server-level edit sequences of tests/lsp/test_sync_property.py, when it ran
    sync = getattr(sys.modules.get("test_sync_property"), "STATS", None) or {}
    rows = [
        ("fuzz cases executed (engine, arbitrary bytes)", FIGURES["fuzz cases"]),
        ("random edit sequences checked (in process)", FIGURES["edit sequences"]),
        ("random edits in them", FIGURES["edits"]),
        ("random edit sequences checked (real server)", sync.get("sequences", 0)),
        ("hostile protocol messages sent", FIGURES["hostile messages"]),
        ("hostile inputs tried (files, buffers, disk states)", FIGURES["hostile inputs"]),
        ("fix applications checked by Elixir's parser / tomllib", FIGURES["fixes checked"]),
        ("secret-bearing outputs scanned", FIGURES["outputs scanned"]),
        ("crashes", FIGURES["crashes"]),
        ("corruptions", FIGURES["corruptions"]),
        ("secrets shown", FIGURES["secrets shown"]),
    ]
    terminalreporter.section("mpg-lsp reliability figures")
    for name, value in rows:
        terminalreporter.write_line(f"{name:<58} {value}")
