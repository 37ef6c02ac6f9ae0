"""A hostile client: every request gets an answer, nothing kills the server.

Driven by a raw JSON-RPC client, because well-behaved clients (pytest-lsp included) refuse to
send what these tests send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from projects import SAMPLE, copy_project


class RawClient:
    def __init__(self) -> None:
        env = {**os.environ, "MPG_LSP_LOG": "WARNING"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mpg_lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env,
        )
        self.next_id = 0

    def send(self, message: dict[str, Any] | bytes) -> None:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed its output"
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b"\n"):
                break
        return json.loads(self.proc.stdout.read(length))

    def request(self, method: str, params: Any) -> dict[str, Any]:
        """Send a request and wait for its answer; a server that never answers is killed after
        20 s, which fails the test instead of hanging it."""
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        watchdog = threading.Timer(20, self.proc.kill)
        watchdog.start()
        try:
            while True:
                message = self.read()
                if message.get("id") == self.next_id and "method" not in message:
                    return message
        finally:
            watchdog.cancel()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=10)


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
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "x"}]})
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "elixir", "version": 1, "text": "a\r\nb\u2028c\x00🚀"}})
    far = {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 0}}
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": far, "text": "\r"}]})
    split_pair = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 5}}
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"range": split_pair, "text": "\n"}]})
    server.send(b"{not json")
    reply = server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    assert "result" in reply
    assert server.proc.poll() is None
