"""A hostile client: every request gets an answer, nothing kills the server.

Driven by a raw JSON-RPC client, because well-behaved clients (pytest-lsp included) refuse to
send what these tests send."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import SAMPLE, copy_project
from rawclient import RawClient


@pytest.fixture
def server(tmp_path: Path):
    client = RawClient()
    root = copy_project(SAMPLE, tmp_path / "storefront")
    reply = client.request(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    )
    assert "capabilities" in reply["result"]
    client.notify("initialized", {})
    client.root = root  # type: ignore[attr-defined]
    yield client
    if client.proc.poll() is None:
        client.close()
    assert client.proc.returncode == 0


def test_every_request_gets_an_answer(server: RawClient) -> None:
    uri = (server.root / "config" / "runtime.exs").as_uri()  # type: ignore[attr-defined]
    hover = {"textDocument": {"uri": uri}, "position": {"line": -1, "character": 5}}
    assert server.request("textDocument/hover", hover)["error"]["code"] == -32602
    assert server.request("textDocument/hover", {"textDocument": {}})["error"]["code"] == -32602
    assert server.request("textDocument/codeAction", {"nonsense": True})["error"]["code"] == -32602
    assert server.request("mpgLsp/noSuchMethod", {})["error"]["code"] == -32601
    # a document that was never opened: a plain null, not an error or a hang
    never = {"textDocument": {"uri": uri}, "position": {"line": 10**6, "character": 10**6}}
    assert server.request("textDocument/hover", never)["result"] is None


def test_abuse_of_text_sync_does_not_kill_the_server(server: RawClient) -> None:
    root: Path = server.root  # type: ignore[attr-defined]
    uri = (root / "config" / "runtime.exs").as_uri()
    server.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "x"}]},
    )
    server.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": uri,
                "languageId": "elixir",
                "version": 1,
                "text": "a\r\nb\u2028c\x00🚀",
            }
        },
    )
    far = {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 0}}
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": far, "text": "\r"}],
        },
    )
    split_pair = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 5}}
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"range": split_pair, "text": "\n"}],
        },
    )
    server.send(b"{not json")
    reply = server.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
    )
    assert "result" in reply
    assert server.proc.poll() is None
