"""A raw JSON-RPC client over stdio: it sends what well-behaved clients refuse to send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from typing import Any


class RawClient:
    def __init__(self) -> None:
        env = {**os.environ, "MPG_LSP_LOG": "WARNING", "MPG_LSP_CHECK_SYNC": "1"}
        # stderr to a file, not a pipe nobody reads: a long run's warnings would fill a pipe and
        # block the server in the middle of a write
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mpg_lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

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
            assert line, f"the server closed its output:\n{self.log()[-3000:]}"
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
                if "method" in message and "id" not in message:
                    self.notifications.append(message)
        finally:
            watchdog.cancel()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=10)
