"""The VS Code extension attaches to every file the server reads, and declares no language.

clients/vscode/src/client.ts lists `DOCUMENT_PATTERNS`; they must be the server's `WATCHED`
patterns (server/mpg_lsp/lsp/documents.py), so a file the server reads (a `deploy/**/*.toml`
Fly config, a Dockerfile) is never one VS Code keeps to itself. Declaring the `elixir` or `toml`
language would override an installed Elixir or TOML extension's (mix.lock became Elixir).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mpg_lsp.lsp.documents import WATCHED

VSCODE = Path(__file__).resolve().parents[3] / "clients" / "vscode"


def document_patterns() -> list[str]:
    source = (VSCODE / "src" / "client.ts").read_text(encoding="utf-8")
    block = re.search(r"export const DOCUMENT_PATTERNS = \[(.*?)\];", source, re.S)
    assert block, "DOCUMENT_PATTERNS not found in client.ts"
    return re.findall(r'"([^"]+)"', block.group(1))


def test_the_document_selector_covers_every_file_the_server_reads() -> None:
    assert sorted(document_patterns()) == sorted(WATCHED)


def test_no_language_of_its_own_and_activation_without_one() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert "languages" not in manifest["contributes"]
    events = manifest["activationEvents"]
    assert "workspaceContains:mix.exs" in events and "workspaceContains:fly.toml" in events
