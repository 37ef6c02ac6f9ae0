"""Property: after any sequence of incremental edits (multibyte text, CRLF pairs split and
joined, U+2028, NUL), the server's text equals the client's, its tree equals a fresh parse
(wherever tree-sitter's error recovery allows), and every published range lies inside its
document. MPG_LSP_EXAMPLES raises the number of sequences (the long run)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import SAMPLE, copy_project
from rawclient import RawClient

EXAMPLES = int(os.environ.get("MPG_LSP_EXAMPLES", "40"))
PIECES = [
    "a",
    "é",
    "🚀",
    "日本",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\x00",
    " ",
    ",",
    "#",
    '"',
    "do",
    "end",
    "prepare: :unnamed",
    "config :storefront, Storefront.Repo, url: 1\n",
    "",
]
_BREAK = re.compile(r"\r\n|\r|\n")
STATS = {"sequences": 0, "edits": 0}


def utf16_position(text: str, index: int) -> dict[str, int]:
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    line = max(i for i, s in enumerate(starts) if s <= index)
    prefix = text[starts[line] : index]
    return {"line": line, "character": len(prefix.encode("utf-16-le")) // 2}


def _valid(text: str, index: int) -> int:
    """A client cannot put its cursor inside a CRLF line break (edits may still join or split
    one by their content)."""
    if 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n":
        return index - 1
    return index


def line_lengths(text: str) -> list[int]:
    parts = _BREAK.split(text)
    return [len(p.encode("utf-16-le")) // 2 for p in parts]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = copy_project(SAMPLE, tmp_path_factory.mktemp("sync") / "storefront")
    client = RawClient()
    client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    client.root = root  # type: ignore[attr-defined]
    client.count = 0  # type: ignore[attr-defined]
    yield client
    client.close()
    print(f"\nsync property: {STATS['sequences']} edit sequences, {STATS['edits']} edits checked")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 12), st.sampled_from(PIECES)),
        min_size=1,
        max_size=15,
    )
)
def test_server_text_tree_and_ranges_follow_the_client(server: RawClient, edits) -> None:
    root: Path = server.root  # type: ignore[attr-defined]
    server.count += 1  # type: ignore[attr-defined]
    # a file of its own per example, under the project's config/ so the rules run on it
    path = root / "config" / f"prop{server.count}.exs"  # type: ignore[attr-defined]
    text = (root / "config" / "runtime.exs").read_text()
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "elixir", "version": 1, "text": text}},
    )
    version = 1
    for where, length, insert in edits:
        start = _valid(text, int(where * len(text)))
        end = _valid(text, min(len(text), start + length))
        change = {
            "range": {"start": utf16_position(text, start), "end": utf16_position(text, end)},
            "text": insert,
        }
        text = text[:start] + insert + text[end:]
        version += 1
        server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
    state = server.request("mpgLsp/syncState", {"uri": uri})["result"]
    assert state["text"] == text  # the client's text is the truth (pygls' own copy splits
    # lines on U+2028, so it is no witness here)
    assert state["treeMatchesFreshParse"] or state["freshHasErrors"]
    lengths = line_lengths(text)
    for note in server.notifications:
        if note["method"] != "textDocument/publishDiagnostics" or note["params"]["uri"] != uri:
            continue
        if note["params"].get("version") != version:
            continue
        for diag in note["params"]["diagnostics"]:
            for end_name in ("start", "end"):
                pos = diag["range"][end_name]
                assert (
                    0 <= pos["line"] < len(lengths)
                    and 0 <= pos["character"] <= lengths[pos["line"]]
                )
    server.notifications.clear()
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    STATS["sequences"] += 1
    STATS["edits"] += len(edits)


KEYS = ["a", "b", "_", ":", " ", "é", "🚀", "\n", "\r\n", "BACKSPACE", "WORD-BACKSPACE"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.lists(st.sampled_from(KEYS), min_size=1, max_size=12)),
        min_size=1,
        max_size=6,
    )
)
def test_typing_sent_back_to_back_leaves_the_clients_text(server: RawClient, runs) -> None:
    """Words typed key by key at a few places (letters, accents, emoji, line breaks,
    backspaces), each key its own didChange, all written before the server answers: it folds
    them (protocol.coalesce) and must still hold the client's text."""
    root: Path = server.root  # type: ignore[attr-defined]
    server.count += 1  # type: ignore[attr-defined]
    path = root / "config" / f"typed{server.count}.exs"  # type: ignore[attr-defined]
    text = (root / "config" / "runtime.exs").read_text()
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "elixir", "version": 1, "text": text}},
    )
    version = 1
    for where, keys in runs:
        cursor = _valid(text, int(where * len(text)))
        for key in keys:
            if key.endswith("BACKSPACE"):
                if cursor == 0:
                    continue
                start = cursor - (2 if text[cursor - 2 : cursor] == "\r\n" else 1)
                if key == "WORD-BACKSPACE":  # two characters at once
                    start = _valid(text, max(0, start - 1))
                change = {
                    "range": {
                        "start": utf16_position(text, start),
                        "end": utf16_position(text, cursor),
                    },
                    "text": "",
                }
                text, cursor = text[:start] + text[cursor:], start
            else:
                at = utf16_position(text, cursor)
                change = {"range": {"start": at, "end": at}, "text": key}
                text, cursor = text[:cursor] + key + text[cursor:], cursor + len(key)
            version += 1
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
    state = server.request("mpgLsp/syncState", {"uri": uri})["result"]
    assert state["text"] == text
    assert state["version"] == version
    server.notifications.clear()
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    STATS["sequences"] += 1
    STATS["edits"] += version - 1
