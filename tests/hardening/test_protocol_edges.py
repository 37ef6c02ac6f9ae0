"""The edges of the protocol, over the real server process: lengths no one can allocate, a
second initialize, exit without shutdown, ids that are not ids, batches, the values of a
malformed message kept out of the log and the replies, and messages trickled in pieces."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from harness import FIGURES, Server
from projects import SAMPLE, copy_project

INVALID_REQUEST = -32600
PASSWORD = "hunter2-s3cr3t"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_project(SAMPLE, tmp_path / "storefront")


def _write(server: Server, data: bytes) -> None:
    with server._write:
        assert server.proc.stdin is not None
        server.proc.stdin.write(data)
        server.proc.stdin.flush()


@pytest.mark.parametrize("length", [10**12, 2**64, 10**40])
def test_a_length_no_one_can_allocate_is_refused_and_serving_goes_on(
    root: Path, length: int
) -> None:
    server = Server()
    server.initialize(root)
    uri = server.open(root / "config" / "runtime.exs")
    # the header lies about the body; the next message starts right after what was sent
    _write(server, b'Content-Length: %d\r\n\r\n{"jsonrpc": "2.0"' % length)
    _write(server, b"\r\nnot a header either\r\n")
    FIGURES["hostile messages"] += 1
    reply = server.hover(uri, 0, 0)
    assert "result" in reply, reply
    assert server.proc.poll() is None
    assert "refused a message of" in server.stderr
    assert server.close() == 0
    assert server.crashes() == []


def test_a_huge_length_at_the_end_of_the_input_ends_the_session_cleanly(root: Path) -> None:
    server = Server(log="INFO")
    server.initialize(root)
    _write(server, b"Content-Length: %d\r\n\r\n" % 2**64)
    assert server.proc.stdin is not None
    server.proc.stdin.close()
    assert server.proc.wait(timeout=20) == 0
    assert "refused a message of" in server.stderr
    assert "the client closed the connection" in server.stderr
    assert "Traceback" not in server.stderr


def test_a_second_initialize_is_refused_and_keeps_the_position_encoding(root: Path) -> None:
    server = Server(env={"MPG_LSP_CHECK_SYNC": "1"})
    first = server.initialize(root, {"general": {"positionEncodings": ["utf-16"]}})
    assert first["result"]["capabilities"]["positionEncoding"] == "utf-16"
    again = server.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {"general": {"positionEncodings": ["utf-8"]}},
        },
    )
    FIGURES["hostile messages"] += 1
    assert again["error"]["code"] == INVALID_REQUEST
    path = root / "config" / "notes.exs"
    uri = server.open(path, "# \U0001f680x\n")
    # character 4 in UTF-16 is the x after the rocket (2 units); in UTF-8 it is inside it
    change = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": change, "text": "y"}],
        },
    )
    state = server.request("mpgLsp/syncState", {"uri": uri})["result"]
    assert state["text"] == "# \U0001f680y\n"
    assert state["mismatches"] == 0
    assert server.close() == 0


def test_exit_without_shutdown_exits_1_and_with_it_0(root: Path) -> None:
    server = Server()
    server.initialize(root)
    server.notify("exit", None)
    assert server.proc.wait(timeout=20) == 1
    assert "exit without shutdown" in server.stderr
    polite = Server()
    polite.initialize(root)
    assert polite.request("shutdown", None)["result"] is None
    polite.notify("exit", None)
    assert polite.proc.wait(timeout=20) == 0


def test_initialize_after_shutdown_is_answered_with_an_error(root: Path) -> None:
    server = Server()
    server.initialize(root)
    assert server.request("shutdown", None)["result"] is None
    reply = server.request(
        "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    )
    FIGURES["hostile messages"] += 1
    assert reply["error"]["code"] == INVALID_REQUEST
    server.notify("exit", None)
    assert server.proc.wait(timeout=20) == 0


def test_ids_that_are_not_ids_and_batches_get_error_answers_without_echo(root: Path) -> None:
    server = Server(log="DEBUG")
    server.initialize(root)
    uri = server.open(root / "config" / "runtime.exs")
    hover = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
    secret_id = {"password": PASSWORD}
    server.send(
        {"jsonrpc": "2.0", "id": secret_id, "method": "textDocument/hover", "params": hover}
    )
    FIGURES["hostile messages"] += 1
    reply = server.wait_answer(None)  # an id that cannot be echoed is answered as null
    assert reply["error"]["code"] == INVALID_REQUEST
    batch = [
        {"jsonrpc": "2.0", "id": 501, "method": "textDocument/hover", "params": hover},
        {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"x": PASSWORD}},
        {"jsonrpc": "2.0", "id": "five-o-two", "method": "shutdown"},
    ]
    server.send_raw(json.dumps(batch).encode())
    FIGURES["hostile messages"] += 1
    for msg_id in (501, "five-o-two"):
        assert server.wait_answer(msg_id)["error"]["code"] == INVALID_REQUEST
    # nothing in the batch ran: the server is not shutting down, the document is unchanged
    assert "result" in server.hover(uri, 0, 0)
    garbage = [
        b'{"jsonrpc": "2.0", "method": "x", "params": {"password": "' + PASSWORD.encode() + b'"',
        b'{"jsonrpc": "1.0", "id": 9, "method": "' + PASSWORD.encode() + b'", "params": {}}',
        b'{"jsonrpc": "2.0", "id": 10, "method": "textDocument/hover", "params": {"t": "'
        + PASSWORD.encode()
        + b'"}}',
    ]
    for body in garbage:
        server.send_raw(body)
    _write(server, b"Content-Length: " + PASSWORD.encode() + b"\r\n\r\n")
    FIGURES["hostile messages"] += len(garbage) + 1
    assert "result" in server.hover(uri, 0, 0)
    answers = json.dumps(list(server.answers.values()))
    assert server.close() == 0
    assert PASSWORD not in server.stderr
    assert PASSWORD not in answers
    assert PASSWORD not in json.dumps(server.notifications)
    assert server.crashes() == []


def test_messages_cut_anywhere_and_trickled_are_read_whole_and_in_order(root: Path) -> None:
    """Forty keystrokes and a request in the middle, written in pieces of 1 to 40 bytes with
    pauses between some: the reader thread and the event loop both frame stdin, and neither
    may lose, split or reorder a message (the server's text is the client's, the request is
    answered, the last publish is for the last version)."""
    server = Server(env={"MPG_LSP_CHECK_SYNC": "1"})
    server.initialize(root)
    runtime = root / "config" / "runtime.exs"
    text = runtime.read_text()
    uri = server.open(runtime, text)
    server.hover(uri, 0, 0)  # opened and checked
    rng = random.Random(1203)
    stream = b""
    for version in range(2, 42):
        if version == 20:
            ask = {"jsonrpc": "2.0", "id": 77, "method": "textDocument/hover"}
            params = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}}
            body = json.dumps({**ask, "params": params}).encode()
            stream += b"Content-Length: %d\r\n\r\n" % len(body) + body
        at = {"line": 0, "character": version - 2}
        change = {"range": {"start": at, "end": at}, "text": "#"}
        note = {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [change],
            },
        }
        body = json.dumps(note).encode()
        stream += b"Content-Length: %d\r\n\r\n" % len(body) + body
    while stream:
        cut = rng.randint(1, 40)
        _write(server, stream[:cut])
        stream = stream[cut:]
        if rng.random() < 0.2:
            time.sleep(rng.random() / 500)
    FIGURES["hostile messages"] += 1
    assert "result" in server.wait_answer(77)
    state = server.request("mpgLsp/syncState", {"uri": uri})["result"]
    assert state["text"] == "#" * 40 + text
    assert state["version"] == 41 and state["mismatches"] == 0
    for _ in range(100):
        versions = [p["version"] for p in server.published(uri) if p.get("version")]
        if versions and versions[-1] == 41:
            break
        server.drain(0.1)
    assert versions == sorted(versions) and versions[-1] == 41
    assert server.close() == 0
    assert server.crashes() == []


def test_a_client_that_never_pauses_still_gets_diagnostics_on_the_way(root: Path) -> None:
    """40,000 keystrokes written without a pause (far more than the server handles in the
    50 ms it gives a burst): diagnostics come out on the way, for versions in order, and the
    last for the last version over the client's text."""
    server = Server(env={"MPG_LSP_CHECK_SYNC": "1"})
    server.initialize(root)
    runtime = root / "config" / "runtime.exs"
    text = runtime.read_text()
    uri = server.open(runtime, text)
    server.hover(uri, 0, 0)  # opened and checked
    count = 40_000
    parts = []
    for version in range(2, count + 2):
        at = {"line": 0, "character": version - 2}
        note = {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": at, "end": at}, "text": "#"}],
            },
        }
        body = json.dumps(note).encode()
        parts.append(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    _write(server, b"".join(parts))
    FIGURES["hostile messages"] += 1
    state = server.request("mpgLsp/syncState", {"uri": uri}, timeout=120)["result"]
    assert state["text"] == "#" * count + text and state["version"] == count + 1
    for _ in range(200):
        versions = [p["version"] for p in server.published(uri) if p.get("version")]
        if versions and versions[-1] == count + 1:
            break
        server.drain(0.1)
    on_the_way = [v for v in versions if 1 < v <= count]
    assert on_the_way, versions  # not only once the stream stopped
    assert versions == sorted(versions) and versions[-1] == count + 1
    assert server.close() == 0
    assert server.crashes() == []
