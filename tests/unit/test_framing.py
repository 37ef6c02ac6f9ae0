"""Content-Length framing of stdin as it arrives: bodies split across reads, headers that
cannot be honoured, input that ends mid-message; and the server served from a stream without
a file descriptor (the fallback where only the reader thread reads)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from mpg_lsp.lsp.protocol import MAX_MESSAGE_BYTES, Frames, serve_stdio
from mpg_lsp.lsp.server import MpgServer


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_bodies_come_out_whole_however_the_bytes_are_cut() -> None:
    stream = frame(b'{"a":1}') + b"Content-Type: x\r\n" + frame(b'{"b":2}') + frame(b"{}")
    for size in (1, 2, 7, 64, len(stream)):
        frames = Frames()
        bodies = []
        for at in range(0, len(stream), size):
            bodies += frames.feed(stream[at : at + size])
        assert bodies == [b'{"a":1}', b'{"b":2}', b"{}"], size


def test_a_length_over_the_limit_is_refused_and_framing_goes_on_at_the_next_header_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = Frames()
    huge = b"Content-Length: %d\r\n\r\n" % (MAX_MESSAGE_BYTES + 1)
    with caplog.at_level(logging.ERROR, "mpg_lsp"):
        got = frames.feed(huge + b"garbage that is no header\r\n")
        got += frames.feed(b"more garbage\r\n" + frame(b'{"ok":true}'))
    assert got == [b'{"ok":true}']
    assert "refused a message" in caplog.text


def test_no_length_or_a_header_that_never_ends_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = Frames()
    with caplog.at_level(logging.ERROR, "mpg_lsp"):
        assert frames.feed(b"Content-Type: x\r\n\r\n" + frame(b"[1]")) == [b"[1]"]
        assert frames.feed(b"x" * 9000 + b"\r\n") == []
        assert frames.feed(frame(b"[2]")) == [b"[2]"]
    assert "without a valid Content-Length" in caplog.text
    assert "no message header" in caplog.text


def test_input_that_ends_inside_a_message_says_so(caplog: pytest.LogCaptureFixture) -> None:
    frames = Frames()
    assert frames.feed(frame(b'{"whole":1}')[:-3]) == []
    with caplog.at_level(logging.ERROR, "mpg_lsp"):
        frames.end()
    assert "ended inside a message (8 of 11 bytes)" in caplog.text


def test_a_stream_without_a_descriptor_is_served_by_the_reader_thread() -> None:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    stdin = io.BytesIO(b"".join(frame(json.dumps(m).encode()) for m in messages))
    stdout = io.BytesIO()
    assert serve_stdio(MpgServer(), stdin, stdout) == 0
    answers = Frames().feed(stdout.getvalue())
    ids = [json.loads(a).get("id") for a in answers]
    assert 1 in ids and 2 in ids
