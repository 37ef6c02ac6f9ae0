"""Running the installed console script as a user would: on pipes, or on pseudo-terminals;
and the golden workspace the CLI tests check."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from projects import FIXTURES, REPO, SAMPLE, copy_project

SCRIPT = shutil.which("mpg-lsp", path=os.path.dirname(sys.executable)) or "mpg-lsp"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# the golden workspace: a stock app, secrets in fly.toml (errors and information, no fix),
# a renamed Oban peer (hints) and suppression comments (MPG001)
GOLDEN_PROJECTS = {
    "storefront": SAMPLE,
    "fly_env_secrets": FIXTURES / "fly_env_secrets",
    "oban_peer_renamed": FIXTURES / "oban_peer_renamed",
    "suppressions": FIXTURES / "suppressions",
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")
    }
    env.update(extra)
    return env


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env=clean_env(**env),
    )


def run_tty(*args: str, cwd: Path | None = None, **env: str) -> tuple[int, str, str]:
    """Run with stdout and stderr on two pseudo-terminals, as in an interactive shell."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen(
        [SCRIPT, *args],
        stdout=out_slave,
        stderr=err_slave,
        cwd=cwd,
        env=clean_env(TERM="xterm", **env),
    )
    os.close(out_slave)
    os.close(err_slave)
    chunks: dict[int, bytes] = {out_master: b"", err_master: b""}
    open_fds = [out_master, err_master]
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [], 60)
        if not ready:
            break
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other end closed
                data = b""
            if data:
                chunks[fd] += data
            else:
                open_fds.remove(fd)
                os.close(fd)
    code = proc.wait(timeout=60)

    def decode(b):
        return b.decode("utf-8").replace("\r\n", "\n")  # the tty's ONLCR

    return code, decode(chunks[out_master]), decode(chunks[err_master])


def golden_workspace(root: Path) -> Path:
    """A folder of four projects, checked as ``.`` from inside it (stable relative paths)."""
    for name, src in GOLDEN_PROJECTS.items():
        copy_project(src, root / name)
    return root


GOLDEN = REPO / "tests" / "fixtures" / "cli"


def golden(name: str, actual: str) -> None:
    """``actual`` must equal tests/fixtures/cli/``name``; MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = GOLDEN / name
    update = os.environ.get("MPG_LSP_UPDATE_SNAPSHOTS") == "1"
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"{path} did not exist; written, check it in")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} drifted: MPG_LSP_UPDATE_SNAPSHOTS=1 regenerates it"
    )
