"""Shared by the hardening tests: a hostile raw LSP client that also reads the server's stderr,
the tallies behind the README's "Reliability" figures, and small project builders."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from projects import SAMPLE, copy_project

# What the last run checked; printed at the end of the session (see conftest.py).
FIGURES: Counter[str] = Counter()

# A logged traceback through mpg-lsp's own code means a handler (or a rule) raised: the server
# survived it, but it is a crash all the same.
OUR_FRAME = re.compile(r'File "[^"]*mpg_lsp[/\\][^"]*", line \d+')


def without_root_privileges() -> list[str]:
    """A command prefix that takes away root's power to read any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so `chmod 000` means what it means for a user; empty when not root or
    setpriv is missing (then the permission tests say so and use a FileSystem double)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return []
    probe = subprocess.run(
        [setpriv, "--bounding-set=-dac_override,-dac_read_search", "true"],
        capture_output=True,
        check=False,
    )
    return (
        [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if probe.returncode == 0 else []
    )


class NoAnswer(AssertionError):
    pass


class Server:
    """`python -m mpg_lsp` on stdio. Messages are read on a thread into a queue and stderr is
    drained into ``self.stderr`` (a full stderr pipe would stall a chatty DEBUG server)."""

    def __init__(
        self,
        log: str = "WARNING",
        env: dict[str, str] | None = None,
        prefix: list[str] | None = None,
        cwd: str | None = None,
    ) -> None:
        full_env = {**os.environ, "MPG_LSP_LOG": log, **(env or {})}
        self.proc = subprocess.Popen(
            [*(prefix or []), sys.executable, "-m", "mpg_lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.answers: dict[Any, dict[str, Any]] = {}
        self.stderr_lines: list[str] = []
        self.next_id = 1000
        self._write = threading.Lock()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- wire ----------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            body = out.read(length or 0)
            try:
                self.messages.put(json.loads(body))
            except ValueError:
                self.messages.put({"unparsable": body.decode("utf-8", "replace")})

    def _read_stderr(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for line in iter(err.readline, b""):
            self.stderr_lines.append(line.decode("utf-8", "replace"))

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def send_raw(self, body: bytes) -> None:
        with self._write:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode())

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def _pump(self, timeout: float) -> bool:
        """Take one message off the wire; False on timeout."""
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            return False
        if message is None:
            raise AssertionError(
                f"the server closed its output (exit {self.proc.poll()}):\n{self.stderr[-3000:]}"
            )
        if "method" in message and "id" in message:  # a request from the server
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        else:
            self.answers[json.dumps(message.get("id"))] = message
        return True

    def wait_answer(self, msg_id: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        key = json.dumps(msg_id)
        while key not in self.answers:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._pump(min(left, 0.5)) and self.proc.poll() is not None):
                if key in self.answers:
                    break
                raise NoAnswer(f"no answer to request {msg_id!r} in {timeout} s")
        return self.answers.pop(key)

    def request(self, method: str, params: Any, timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.wait_answer(msg_id, timeout)

    def drain(self, seconds: float = 0.0) -> None:
        deadline = time.monotonic() + seconds
        while self._pump(max(0.0, deadline - time.monotonic())):
            pass

    def answered(self, msg_id: Any) -> dict[str, Any] | None:
        """Whether ``msg_id`` was answered by the time a request sent after it is: the server
        reads messages in order, so a later answer without the earlier one means it was dropped."""
        self.request(
            "textDocument/hover",
            {"textDocument": {"uri": "untitled:sentinel"}, "position": {"line": 0, "character": 0}},
        )
        self.drain(0.02)
        return self.answers.pop(json.dumps(msg_id), None)

    # -- LSP conveniences ------------------------------------------------------------------

    def initialize(
        self, root: Path | None, capabilities: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        reply = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri() if root else None,
                "capabilities": capabilities or {},
            },
        )
        self.notify("initialized", {})
        return reply

    def open(self, path: Path, text: str | None = None, language: str | None = None) -> str:
        uri = path.as_uri()
        if text is None:
            text = path.read_bytes().decode("utf-8", "replace")
        lang = language or ("toml" if path.suffix == ".toml" else "elixir")
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}},
        )
        return uri

    def hover(self, uri: str, line: int, character: int) -> dict[str, Any]:
        return self.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )

    def published(self, uri: str, since: int = 0) -> list[dict[str, Any]]:
        return [
            n["params"]
            for n in self.notifications[since:]
            if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri
        ]

    def crashes(self) -> list[str]:
        """Our frames in logged tracebacks (pygls logs a handler's exception with its traceback;
        JSON too deeply nested to decode fails in pygls' reader, outside our code)."""
        return [line.strip() for line in self.stderr_lines if OUR_FRAME.search(line)][:12]

    def close(self) -> int:
        if self.proc.poll() is None:
            try:
                self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                self.proc.wait(timeout=10)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Canary:
    """A normal project next to the hostile one: after each hostile input, the server must
    still answer a hover on it and publish its diagnostics."""

    def __init__(self, server: Server, folder: Path) -> None:
        self.server = server
        self.root = copy_project(SAMPLE, folder)
        self.runtime = self.root / "config" / "runtime.exs"
        self.text = self.runtime.read_text()
        self.uri = server.open(self.runtime, self.text)
        self.version = 1

    def check(self, after: str) -> None:
        """Hover on `pool_size:` answers with its documentation, and an edit to the file is
        followed by its diagnostics (MPG101), with the edit's version."""
        server = self.server
        line = self.text.splitlines().index(
            next(ln for ln in self.text.splitlines() if "pool_size:" in ln)
        )
        column = self.text.splitlines()[line].index("pool_size")
        reply = server.hover(self.uri, line, column + 2)
        assert reply.get("result") and "pool_size" in reply["result"]["contents"]["value"], (
            after,
            reply,
        )
        self.version += 1
        since = len(server.notifications)
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": self.text}],
            },
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            mine = [
                p for p in server.published(self.uri, since) if p.get("version") == self.version
            ]
            if mine:
                assert any(d["code"] == "MPG101" for d in mine[-1]["diagnostics"]), (
                    after,
                    mine[-1],
                )
                break
            server.drain(0.1)
        else:
            raise AssertionError(f"no diagnostics published for the canary after {after}")
        assert server.proc.poll() is None, after
        assert server.crashes() == [], (after, server.crashes())
