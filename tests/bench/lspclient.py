"""A small JSON-RPC client for a language server on stdio, built for timing.

Reads happen in the calling thread, straight from the pipe's file descriptor
with select(), so the moment a message is complete is the moment we see it:
no reader thread, no queue hand-off, no buffered reader hiding bytes from
select. Requests the server sends us (registerCapability, configuration,
progress) are answered inline while we wait.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class LspError(RuntimeError):
    pass


class LspTimeout(LspError):
    pass


def path_uri(path: Path) -> str:
    return path.resolve().as_uri()


@dataclass
class Received:
    at: float  # time.perf_counter() when the whole message had been read
    msg: Message


@dataclass
class LspProcess:
    argv: list[str]
    cwd: Path
    stderr_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen = field(init=False)
    started_at: float = field(init=False)
    _buf: bytearray = field(init=False, default_factory=bytearray)
    _next_id: int = field(init=False, default=1)
    _pending: list[Received] = field(init=False, default_factory=list)
    _stderr_file: Any = field(init=False, default=None)
    errors: list[str] = field(init=False, default_factory=list)  # error-level show/logMessage
    workspace_folders: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stderr_file = open(self.stderr_path, "ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=self.env,
            bufsize=0,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._out_fd = self.proc.stdout.fileno()
        self._in_fd = self.proc.stdin.fileno()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- writing -------------------------------------------------------------

    @staticmethod
    def encode(msg: Message) -> bytes:
        body = json.dumps(msg, separators=(",", ":")).encode("utf-8")
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def write_raw(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._in_fd, view)
            view = view[n:]

    def send(self, msg: Message) -> None:
        self.write_raw(self.encode(msg))

    def notify_msg(self, method: str, params: Any) -> Message:
        return {"jsonrpc": "2.0", "method": method, "params": params}

    def did_open_msg(self, uri: str, text: str, language: str = "elixir") -> bytes:
        """A didOpen (version 1), encoded ahead of time so that sending it is all that is timed."""
        item = {"uri": uri, "languageId": language, "version": 1, "text": text}
        return self.encode(self.notify_msg("textDocument/didOpen", {"textDocument": item}))

    def notify(self, method: str, params: Any) -> None:
        self.send(self.notify_msg(method, params))

    def request(self, method: str, params: Any) -> int:
        rid = self._next_id
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    # -- reading -------------------------------------------------------------

    def _parse_one(self) -> Message | None:
        buf = self._buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = None
        for line in bytes(buf[:end]).split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise LspError(f"frame without Content-Length: {bytes(buf[:end])!r}")
        start = end + 4
        if len(buf) < start + length:
            return None
        body = bytes(buf[start : start + length])
        del buf[: start + length]
        return json.loads(body)

    def _fill(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._out_fd], [], [], max(timeout, 0.0))
        if not ready:
            return False
        chunk = os.read(self._out_fd, 1 << 20)
        if not chunk:
            code = self.proc.poll()
            raise LspError(f"server closed stdout (exit code {code}); see {self.stderr_path}")
        self._buf += chunk
        return True

    def _read_message(self, deadline: float) -> Received | None:
        while True:
            msg = self._parse_one()
            if msg is not None:
                rec = Received(time.perf_counter(), msg)
                self._note(msg)
                return rec
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            self._fill(remaining)

    def _note(self, msg: Message) -> None:
        method = msg.get("method")
        if method is None:
            return
        if "id" in msg:
            self._answer_server_request(msg)
        elif method in ("window/showMessage", "window/logMessage"):
            params = msg.get("params") or {}
            if params.get("type") == 1 and len(self.errors) < 50:
                self.errors.append(str(params.get("message", ""))[:500])

    def _answer_server_request(self, msg: Message) -> None:
        method = msg["method"]
        params = msg.get("params") or {}
        result: Any = None
        if method == "workspace/configuration":
            result = [None for _ in params.get("items", [])]
        elif method == "workspace/workspaceFolders":
            result = self.workspace_folders
        elif method in (
            "client/registerCapability",
            "client/unregisterCapability",
            "window/workDoneProgress/create",
            "window/showMessageRequest",
            "workspace/diagnostic/refresh",
            "workspace/semanticTokens/refresh",
            "workspace/inlayHint/refresh",
            "workspace/codeLens/refresh",
        ):
            result = None
        else:
            self.send(
                {
                    "jsonrpc": "2.0",
                    "id": msg["id"],
                    "error": {"code": -32601, "message": f"bench client: no {method}"},
                }
            )
            return
        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def wait_for(
        self, pred: Callable[[Message], bool], timeout: float, keep_others: bool = True
    ) -> Received:
        """Return the first message (already pending or new) matching pred."""
        for i, rec in enumerate(self._pending):
            if pred(rec.msg):
                return self._pending.pop(i)
        deadline = time.perf_counter() + timeout
        while True:
            new = self._read_message(deadline)
            if new is None:
                raise LspTimeout(f"no matching message within {timeout:.1f}s")
            rec = new
            if pred(rec.msg):
                return rec
            if keep_others:
                self._pending.append(rec)
                if len(self._pending) > 2000:
                    del self._pending[:1000]

    def wait_response(self, rid: int, timeout: float) -> Received:
        rec = self.wait_for(lambda m: m.get("id") == rid and "method" not in m, timeout)
        if "error" in rec.msg:
            raise LspError(f"request {rid} failed: {rec.msg['error']}")
        return rec

    def drain(self, quiet_for: float = 0.0) -> list[Received]:
        """Read everything the server has sent so far (waiting quiet_for seconds)."""
        out: list[Received] = []
        deadline = time.perf_counter() + quiet_for
        while True:
            msg = self._parse_one()
            if msg is not None:
                rec = Received(time.perf_counter(), msg)
                self._note(msg)
                out.append(rec)
                continue
            if not self._fill(max(deadline - time.perf_counter(), 0.0)):
                break
        self._pending.clear()
        return out

    # -- LSP conveniences ----------------------------------------------------

    def initialize(self, root: Path, timeout: float = 30.0) -> tuple[float, Message]:
        """Send initialize; return (seconds from spawn to reply, result)."""
        root_uri = path_uri(root)
        self.workspace_folders = [{"uri": root_uri, "name": root.name}]
        params = {
            "processId": os.getpid(),
            "clientInfo": {"name": "mpg-lsp-bench", "version": "1"},
            "rootUri": root_uri,
            "rootPath": str(root),
            "workspaceFolders": self.workspace_folders,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "workspace": {
                    "workspaceFolders": True,
                    "configuration": True,
                    "didChangeWatchedFiles": {"dynamicRegistration": True},
                },
                "textDocument": {
                    "synchronization": {"dynamicRegistration": False, "didSave": True},
                    "publishDiagnostics": {
                        "relatedInformation": True,
                        "versionSupport": True,
                        "codeDescriptionSupport": True,
                        "dataSupport": True,
                        "tagSupport": {"valueSet": [1, 2]},
                    },
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "codeAction": {
                        "codeActionLiteralSupport": {
                            "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}
                        }
                    },
                },
                "window": {"workDoneProgress": True},
            },
        }
        rid = self.request("initialize", params)
        rec = self.wait_response(rid, timeout)
        result = rec.msg["result"]
        self.notify("initialized", {})
        return rec.at - self.started_at, result

    def shutdown(self, timeout: float = 5.0) -> None:
        try:
            if self.proc.poll() is None:
                rid = self.request("shutdown", None)
                try:
                    self.wait_response(rid, timeout)
                except LspError:
                    pass
                self.notify("exit", None)
        except (BrokenPipeError, OSError):
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        finally:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    if f is not None:
                        f.close()
                except OSError:
                    pass
            self._stderr_file.close()


def sync_kind(capabilities: Message) -> int:
    """TextDocumentSyncKind the server advertises: 0 none, 1 full, 2 incremental."""
    sync = capabilities.get("textDocumentSync", 0)
    if isinstance(sync, int):
        return sync
    return int(sync.get("change", 0) or 0)


def is_publish_for(uri: str, version: int | None = None) -> Callable[[Message], bool]:
    def pred(m: Message) -> bool:
        if m.get("method") != "textDocument/publishDiagnostics":
            return False
        p = m.get("params") or {}
        if p.get("uri") != uri:
            return False
        if version is not None and p.get("version") is not None:
            return p["version"] == version
        return True

    return pred


def read_vm_status(pid: int) -> dict[str, int]:
    """VmHWM/VmRSS etc. in KiB from /proc/<pid>/status."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Vm"):
                name, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    out[name] = int(parts[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the ")" that ends the command name: state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
