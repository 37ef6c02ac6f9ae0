"""The JSON-RPC edge: how messages from the client are read, checked and dispatched.

pygls keeps its own copy of every document and applies each change to it before our handler
runs, counting code points. mpg-lsp keeps UTF-8 bytes and a tree per document instead, so the
protocol below skips pygls' copy (unless MPG_LSP_CHECK_SYNC=1 asks to keep it and compare).

It also reads stdin itself (``serve_stdio``) instead of pygls' loop, which dies on a
``Content-Length`` it cannot allocate and hands over one message per executor round trip: a
thread frames and decodes messages as they arrive (the event loop also frames what is already
waiting before it decides a burst is over), and the event loop handles them in order, merging
``didChange`` notifications for one document that are queued behind each other into one (the
same changes, in the same order, a word typed letter by letter folded into one change). A
change with a newer one for its document already queued is applied but not checked: a burst
of keystrokes is parsed, checked and published once, for the newest version. Every request
pygls would leave unanswered gets an error answer, and no value of a malformed message is
echoed into the log or a reply (it may hold a secret).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import re
import select
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger("mpg_lsp")

CHECK_SYNC = os.environ.get("MPG_LSP_CHECK_SYNC") == "1"

# The largest message read: a document over the 4 MiB file limit is dropped anyway, and JSON
# escaping can double it. A bigger Content-Length is refused, not allocated.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 8192
# How long a burst of didChange notifications is read before it is checked and published.
MERGE_FOR = 0.05
_HEADER = re.compile(rb"(?im)^content-length:")
_SAFE_NAME = re.compile(r"[A-Za-z$][A-Za-z0-9$_./-]{0,79}")


class _NoValues(logging.Filter):
    """pygls logs a message that does not validate with the validator's words, which quote
    the value (a password in a URL, say); mpg-lsp logs its own line without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger("pygls.protocol.json_rpc").addFilter(_NoValues())


def _name(method: object) -> str:
    """A method name fit for the log: the client's own text only when it looks like one."""
    return method if isinstance(method, str) and _SAFE_NAME.fullmatch(method) else "(unnamed)"


def _valid_id(msg_id: object) -> bool:
    """A string or a number (JSON-RPC's ids); anything else is answered with a null id."""
    return isinstance(msg_id, (str, int, float)) and not isinstance(msg_id, bool)


class _Answered:
    """A request that was already answered with an error while it was being read."""

    jsonrpc = None


class _Misdirected:
    """A request (it has an id) for a method LSP defines as a notification."""

    jsonrpc = None

    def __init__(self, msg_id: Any, method: str) -> None:
        self.id = msg_id
        self.method = method


class MpgProtocol(LanguageServerProtocol):
    """Hands text changes straight to our handlers without pygls' document copy, and answers
    every request pygls 2.1 would leave unanswered (the client would wait forever): params
    that do not validate, requests before `initialize` (-32002, as LSP asks) or after
    `shutdown` (InvalidRequest), a second `initialize`, ids that are not ids, batches, and
    messages with an id that are not requests."""

    _initialize_seen = False
    # set by serve_stdio: ends the session with an exit code (0 after shutdown, else 1)
    on_exit: Callable[[int], None] | None = None
    # told about a didChange that could not be applied (the document is out of sync)
    on_bad_change: Callable[[str], None] | None = None

    # whether a didChange for a URI is already read and waiting (serve_stdio's queue; a
    # protocol driven message by message has none)
    queued_change: Callable[[str], bool] | None = None

    def _execute_handler(  # type: ignore[no-untyped-def]
        self, msg_id, handler, callback, args=None, kwargs=None
    ):
        # pygls 2.1.1 files the future of every generator handler (didOpen, didChange,
        # initialized...: all of LSP's notifications) in _request_futures under a fresh uuid and
        # only pops it for requests: ~2 KiB kept per notification, forever. Pop it when done.
        futures = self._request_futures

        def done(future: Any) -> None:
            # a cancelled one is popped by whoever cancelled it (shutdown iterates the dict)
            if not future.cancelled() and futures.get(msg_id) is future:
                del futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)

    def structure_message(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        try:
            message = super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError) as err:
            method = data.get("method") if isinstance(data, dict) else None
            if isinstance(data, dict) and "id" in data and "method" in data:
                log.warning("invalid params for %s: answered with an error", _name(method))
                self._send_response(data["id"], error=err.to_response_error())
                return _Answered()
            if isinstance(data, dict) and "id" in data and "jsonrpc" in data:
                # the client's answer to our request does not validate (a null where a list
                # belongs): the request fails, instead of waiting forever for a valid answer
                log.warning("the client's answer to one of our requests does not validate")
                return t.ResponseErrorMessage(id=data["id"], error=err.to_response_error())
            if method == t.TEXT_DOCUMENT_DID_CHANGE:
                self._bad_change(data)
                return _Answered()
            log.warning("ignored a %s notification that does not validate", _name(method))
            return _Answered()
        if (
            "jsonrpc" in data
            and "id" in data
            and isinstance(data.get("method"), str)
            and not hasattr(message, "id")
        ):
            return _Misdirected(data["id"], data["method"])
        return message

    def _bad_change(self, data: dict[str, Any]) -> None:
        """A didChange that does not validate was not applied: the server no longer holds
        the editor's text for that document."""
        params = data.get("params")
        doc = params.get("textDocument") if isinstance(params, dict) else None
        uri = doc.get("uri") if isinstance(doc, dict) else None
        if not isinstance(uri, str):
            log.warning("ignored a didChange that does not validate and names no document")
            return
        if self.on_bad_change is not None:
            self.on_bad_change(uri)

    def _refuse(self, msg_id: Any, error: Any, why: str) -> None:
        log.warning("a request was refused: %s", why)
        self._send_response(msg_id, error=error.of(why).to_response_error())

    def handle_raw(self, data: Any) -> None:
        """One decoded JSON message: checked for what pygls cannot take, structured, handled."""
        if isinstance(data, list):
            # JSON-RPC batches: LSP has none, and a client waiting on an id inside one would
            # wait forever. Each request in it is answered with an error, nothing is run.
            ids = [m["id"] for m in data if isinstance(m, dict) and "method" in m and "id" in m]
            log.warning("refused a batch of %d messages: LSP has no batches", len(data))
            for msg_id in ids:
                if _valid_id(msg_id):
                    self._send_response(
                        msg_id,
                        error=JsonRpcInvalidRequest.of(
                            "batches are not part of LSP: send each message on its own"
                        ).to_response_error(),
                    )
            return
        if isinstance(data, dict) and "method" in data and "id" in data:
            if not _valid_id(data["id"]):
                # an id that is an object, an array, a float...: not echoed, answered as null
                self._refuse(
                    None, JsonRpcInvalidRequest, "a request id must be a string or an integer"
                )
                return
        message = self.structure_message(data) if isinstance(data, dict) else data
        self.handle_message(message)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        if isinstance(message, _Misdirected):
            self._refuse(
                message.id,
                JsonRpcInvalidRequest,
                f"{_name(message.method)} is a notification, not a request",
            )
            return
        if isinstance(message, dict):  # no "jsonrpc" member: not JSON-RPC 2.0
            if "id" in message and "method" in message and _valid_id(message["id"]):
                self._refuse(message["id"], JsonRpcInvalidRequest, "not a JSON-RPC 2.0 message")
            else:
                log.warning("ignored a message that is not JSON-RPC 2.0")
            return
        if not hasattr(message, "jsonrpc"):  # `42`, `null`, `"text"`
            log.warning("ignored a message that is not a JSON object")
            return
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if message.jsonrpc != "2.0":  # pygls would log the whole message, a buffer's secrets too
            if is_request:
                self._refuse(message.id, JsonRpcInvalidRequest, "not a JSON-RPC 2.0 message")
            else:
                log.warning("ignored a message that is not JSON-RPC 2.0 (%s)", _name(method))
            return
        if method == t.EXIT and self.on_exit is not None:
            code = 0 if self._shutdown else 1
            if code:
                log.warning("exit without shutdown: exiting with code 1")
            self.on_exit(code)
            return
        if method is not None and method != t.EXIT:
            if self._shutdown:
                if is_request:
                    self._refuse(message.id, JsonRpcInvalidRequest, "the server is shutting down")
                return
            if method == t.INITIALIZE:
                if self._initialize_seen:
                    # a second initialize would renegotiate the position encoding mid-session
                    if is_request:
                        self._refuse(
                            message.id, JsonRpcInvalidRequest, "the server is already initialized"
                        )
                    return
                self._initialize_seen = True
            elif not self._initialize_seen:
                if is_request:
                    self._refuse(
                        message.id, JsonRpcServerNotInitialized, "the server is not initialized"
                    )
                return  # notifications before initialize are dropped, as LSP asks
        super().handle_message(message)

    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: t.DidOpenTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC:
            self.workspace.put_text_document(params.text_document)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC and params.text_document.uri in self.workspace.text_documents:
            try:  # pygls' copy is only a witness: its failure must not stop our handler
                for change in params.content_changes:
                    # a copy: pygls rewrites the change's range in place into its own units
                    self.workspace.update_text_document(params.text_document, copy.deepcopy(change))
            except Exception as err:  # noqa: BLE001
                log.error("pygls' own copy could not apply a change: %r", err)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: t.DidCloseTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC:
            self.workspace.remove_text_document(params.text_document.uri)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


# -- reading stdin ----------------------------------------------------------------------------


def _content_length(headers: bytes) -> int | None:
    """The body length a header block declares, or None when it declares none we can read."""
    for line in headers.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return None
            return int(value) if len(value) <= 30 else MAX_MESSAGE_BYTES * 2**40
    return None


class Frames:
    """Content-Length framing of bytes as they are read: ``feed`` takes a chunk and returns the
    message bodies it completed. A header it cannot honour (no length, a length over
    MAX_MESSAGE_BYTES such as 10**12 or 2**64, a header block that never ends) is refused with
    a log line, and framing goes on from the next line that starts a header."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._skipping = False  # dropping bytes up to the next Content-Length header

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        bodies = []
        while (body := self._next()) is not None:
            bodies.append(body)
        return bodies

    def _next(self) -> bytes | None:
        """The next complete body in the buffer, or None until more bytes come."""
        buf = self._buf
        while True:
            if self._skipping and not self._resync():
                return None
            end = buf.find(b"\r\n\r\n")
            if end == -1 or end > MAX_HEADER_BYTES:
                if len(buf) <= MAX_HEADER_BYTES:
                    return None
                log.error("skipped %d bytes that are no message header", len(buf))
                del buf[:1]
                self._skipping = True
                continue
            length = _content_length(bytes(buf[:end]))
            if length is None:
                log.error("skipped a message without a valid Content-Length header")
                del buf[: end + 4]
                self._skipping = True
                continue
            if length > MAX_MESSAGE_BYTES:
                shown = f"{length:,}" if length < 2**80 else "an enormous number of"
                log.error(
                    "refused a message of %s bytes (the limit is %s); reading on from the next"
                    " message header",
                    shown,
                    f"{MAX_MESSAGE_BYTES:,}",
                )
                del buf[: end + 4]
                self._skipping = True
                continue
            if len(buf) < end + 4 + length:
                return None
            body = bytes(buf[end + 4 : end + 4 + length])
            del buf[: end + 4 + length]
            return body

    def _resync(self) -> bool:
        """Drop bytes up to the next line that starts with a Content-Length header; False when
        none has come yet (the tail that may begin one is kept)."""
        found = _HEADER.search(self._buf)
        if found is not None:
            del self._buf[: found.start()]
            self._skipping = False
            return True
        keep = len("content-length:") - 1
        del self._buf[: max(0, len(self._buf) - keep)]
        return False

    def end(self) -> None:
        """The input ended: say so if it ended inside a message."""
        buf = self._buf
        if self._skipping or not buf.strip():
            return
        end = buf.find(b"\r\n\r\n")
        length = _content_length(bytes(buf[:end])) if end != -1 else None
        if length is None:
            log.error("the input ended inside a message header")
        else:
            log.error(
                "the input ended inside a message (%d of %d bytes)", len(buf) - end - 4, length
            )


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past Python's limit
        log.warning("ignored a message of %d bytes that is not valid JSON", len(body))
        return _INVALID


_INVALID = object()
_EOF = object()


def _change_target(data: Any) -> tuple[str, list[Any]] | None:
    """(uri, contentChanges) of a well-formed didChange notification, else None."""
    if not isinstance(data, dict) or data.get("method") != t.TEXT_DOCUMENT_DID_CHANGE:
        return None
    if "id" in data or data.get("jsonrpc") != "2.0":
        return None
    params = data.get("params")
    doc = params.get("textDocument") if isinstance(params, dict) else None
    changes = params.get("contentChanges") if isinstance(params, dict) else None
    uri = doc.get("uri") if isinstance(doc, dict) else None
    if not isinstance(uri, str) or not isinstance(changes, list):
        return None
    return uri, changes


_MAX_UINT = 2**31 - 1  # LSP's uinteger


def _point(pos: Any) -> tuple[int, int] | None:
    """(line, character) of a well-formed LSP position, else None."""
    if not isinstance(pos, dict) or len(pos) != 2:
        return None
    line, char = pos.get("line"), pos.get("character")
    if type(line) is not int or type(char) is not int:
        return None
    if not (0 <= line <= _MAX_UINT and 0 <= char <= _MAX_UINT):
        return None
    return line, char


def _span(change: Any) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """(start, end, text) of a well-formed ranged change, else None (the whole text, or one
    that does not validate: left for lsprotocol to judge)."""
    if not isinstance(change, dict) or not isinstance(change.get("text"), str):
        return None
    if not set(change) <= {"range", "text", "rangeLength"}:
        return None
    rng = change.get("range")
    if not isinstance(rng, dict) or len(rng) != 2:
        return None
    start, end = _point(rng.get("start")), _point(rng.get("end"))
    if start is None or end is None or start > end:
        return None
    if "rangeLength" in change:
        length = change["rangeLength"]
        if type(length) is not int or not 0 <= length <= _MAX_UINT:
            return None
    return start, end, change["text"]


def _plain(text: str) -> bool:
    """ASCII without a line break: as many columns in UTF-8, UTF-16 and UTF-32 as characters."""
    return text.isascii() and "\n" not in text and "\r" not in text


def coalesce(changes: list[Any]) -> list[Any]:
    """The same changes with each run of typing folded into one: a change that inserts right
    after the text the previous one inserted (the next letter of a word) or deletes its last
    character (a backspace) joins it. Columns are only computed across ASCII text without a
    line break, so the text is the same as from the changes one by one in every encoding;
    anything else is left as it was sent."""
    out: list[Any] = []
    typing: tuple[int, int, str] | None = None  # (line, column) the last text went in at
    for change in changes:
        span = _span(change)
        if typing is not None and span is not None:
            line, col, typed = typing
            start, end, text = span
            after = (line, col + len(typed))
            if start == end == after:
                joined = typed + text  # the next letter
            elif typed and not text and end == after and start == (line, after[1] - 1):
                joined = typed[:-1]  # a backspace over the last letter typed
            else:
                joined = None
            if joined is not None:
                out[-1] = {**out[-1], "text": joined}
                typing = (line, col, joined) if _plain(joined) else None
                continue
        out.append(change)
        typing = (*span[0], span[2]) if span is not None and _plain(span[2]) else None
    return out


class Inbox:
    """Messages framed by the reader thread, handled on the event loop one per turn, in order.
    A didChange takes along every didChange for the same document queued right behind it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: MpgProtocol) -> None:
        self.loop = loop
        self.protocol = protocol
        self.items: deque[Any] = deque()
        self.lock = threading.Lock()
        self.scheduled = False
        self.on_eof: Callable[[], None] = loop.stop
        # frames input that is already waiting (Input.pull), so a burst is read whole
        self.pull: Callable[[], None] = lambda: None
        self.merged = 0  # didChange notifications folded into an earlier one
        self.unchecked: dict[str, float] = {}  # URI -> since when its changes went unchecked

    def put(self, body: object) -> None:
        """From the reader thread."""
        with self.lock:
            self.items.append(body)
            if self.scheduled:
                return
            self.scheduled = True
        try:
            self.loop.call_soon_threadsafe(self.step)
        except RuntimeError:  # the loop is closed: the session is over
            pass

    def _peek(self) -> Any:
        with self.lock:
            return self.items[0] if self.items else None

    def step(self) -> None:
        with self.lock:
            if not self.items:
                self.scheduled = False
                return
        data = self._peek()
        with self.lock:
            self.items.popleft()
        if data is _EOF:
            log.info("the client closed the connection")
            self.on_eof()
            return
        if data is not _INVALID:
            target = _change_target(data)
            if target is not None:
                data = self._merge(data, *target)
            try:
                self.protocol.handle_raw(data)
            except BrokenPipeError:
                log.error("the connection to the client is lost; exiting")
                self.on_eof()
                return
            except Exception as err:  # noqa: BLE001  (the next message must still be read)
                log.error("could not handle a message: %s", type(err).__name__, exc_info=err)
        self.loop.call_soon(self.step)

    def change_queued(self, uri: str) -> bool:
        """Whether a didChange for ``uri`` waits in the queue, input already waiting on stdin
        framed first (it may have come while this thread worked): its check can then be left
        to that change. Not for longer than MERGE_FOR: a client that never pauses still gets
        diagnostics that often."""
        self.pull()
        with self.lock:
            targets = [_change_target(item) for item in self.items]
        now = time.monotonic()
        if not any(target is not None and target[0] == uri for target in targets):
            self.unchecked.pop(uri, None)
            return False
        if now - self.unchecked.setdefault(uri, now) >= MERGE_FOR:
            del self.unchecked[uri]
            return False
        return True

    def _merge(self, data: dict[str, Any], uri: str, changes: list[Any]) -> dict[str, Any]:
        merged: list[Any] | None = None
        version = None
        # The rest of a burst may be waiting on stdin, not yet framed (the reader thread needs
        # the GIL this thread holds): when the queue runs dry, frame what is waiting, and go on
        # while that brings more changes for this document. A lone keystroke pays one select();
        # a client that never pauses still gets diagnostics every MERGE_FOR seconds.
        pulled = False
        until = time.monotonic() + MERGE_FOR
        while time.monotonic() < until:
            following = self._peek()
            if following is None and not pulled:
                pulled = True
                self.pull()
                continue
            target = _change_target(following)
            if target is None or target[0] != uri:
                break
            with self.lock:
                self.items.popleft()
            pulled = False
            if merged is None:
                merged = list(changes)
            merged.extend(target[1])
            version = following["params"]["textDocument"].get("version")
            self.merged += 1
        if merged is None:
            return data
        params = data["params"]
        doc = {**params["textDocument"], "version": version}
        changes = coalesce(merged)
        return {**data, "params": {**params, "textDocument": doc, "contentChanges": changes}}


class Input:
    """stdin, framed into the inbox in order. A thread reads it as bytes arrive; the event
    loop's thread may also ``pull`` what is already waiting (a burst's tail, which the reader
    thread may not have had the GIL to frame yet), under the same lock, so no message is read
    twice or put out of order. ``pull`` needs ``select`` on the descriptor (POSIX); elsewhere
    the thread alone reads."""

    def __init__(self, inbox: Inbox, read: Callable[[int], bytes], fd: int | None) -> None:
        self.inbox = inbox
        self.read = read
        self.fd = fd if fd is not None and os.name == "posix" else None
        self.frames = Frames()
        self.lock = threading.Lock()
        self.closed = False

    def _ready(self, timeout: float | None) -> bool:
        assert self.fd is not None
        return bool(select.select([self.fd], [], [], timeout)[0])

    def _take(self) -> None:
        """Read one chunk and put what it completes (the lock held)."""
        chunk = self.read(65536)
        if not chunk:
            self.closed = True
            self.frames.end()
            self.inbox.put(_EOF)
            return
        for body in self.frames.feed(chunk):
            self.inbox.put(_decode(body))

    def pull(self) -> None:
        """From the event loop: frame whatever input is already waiting, without blocking."""
        if self.fd is None:
            return
        with self.lock:
            try:
                while not self.closed and self._ready(0):
                    self._take()
            except Exception as err:  # noqa: BLE001  (the reader thread meets it too)
                log.debug("pulling input failed: %s", type(err).__name__)

    def pump(self) -> None:
        """The reader thread."""
        try:
            while not self.closed:
                if self.fd is not None:
                    self._ready(None)  # wait for input without the lock
                with self.lock:
                    if self.closed or (self.fd is not None and not self._ready(0)):
                        continue  # the event loop took it meanwhile
                    self._take()
        except Exception as err:  # noqa: BLE001
            log.error("reading the input failed: %s", type(err).__name__)
            with self.lock:
                if not self.closed:
                    self.closed = True
                    self.inbox.put(_EOF)


def serve_stdio(server: Any, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """Serve LSP over stdin/stdout until `exit` or the end of the input; the exit code."""
    protocol: MpgProtocol = server.protocol
    source = stdin or sys.stdin.buffer
    fd: int | None
    try:
        fd = source.fileno()
        # os.read, not the buffered reader: a daemon thread blocked inside BufferedReader
        # holds its lock, and the interpreter aborts on it at exit
        read: Callable[[int], bytes] = lambda n: os.read(fd, n)  # type: ignore[arg-type]  # noqa: E731
    except (AttributeError, OSError, ValueError):
        fd = None
        read = getattr(source, "read1", source.read)
    protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    inbox = Inbox(loop, protocol)
    stdin_input = Input(inbox, read, fd)
    inbox.pull = stdin_input.pull
    outcome = {"code": 0}

    def finish(code: int) -> None:
        outcome["code"] = code
        loop.stop()

    protocol.on_exit = finish
    protocol.queued_change = inbox.change_queued
    threading.Thread(target=stdin_input.pump, name="mpg-lsp-stdin", daemon=True).start()
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return outcome["code"]
