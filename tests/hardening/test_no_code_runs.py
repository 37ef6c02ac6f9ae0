"""No code runs, nothing touches the network, nothing is written: a project whose config files,
mix.exs, application, release scripts and fly.toml would each leave a file behind if anything
evaluated them is checked, fixed (`--diff`) and served; afterwards no marker exists.

Under strace (when it is installed) the server and the checker make no system call that starts
a program, opens a socket other than asyncio's own socketpair, or opens a file for writing. The
checker also runs in process with sockets, subprocesses and exec replaced by tripwires."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from harness import FIGURES, Server
from projects import SAMPLE, copy_project

STRACE = shutil.which("strace")
TRACED = (
    "trace=execve,execveat,fork,vfork,socket,socketpair,connect,bind,sendto,sendmsg,"
    "openat,open,creat"
)


def booby_trap(root: Path, markers: Path) -> list[Path]:
    """Plant side effects in every kind of file mpg-lsp reads; the files each would create."""
    made = []

    def marker(name: str) -> str:
        made.append(markers / name)
        return str(markers / name)

    runtime = root / "config" / "runtime.exs"
    runtime.write_text(
        runtime.read_text()
        + f'\nFile.write!("{marker("runtime-file-write")}", "ran")\n'
        + f'System.cmd("touch", ["{marker("runtime-system-cmd")}"])\n'
        + f":os.cmd('touch {marker('runtime-os-cmd')}')\n"
        + f'Code.eval_string(~s|File.write!("{marker("runtime-eval")}", "x")|)\n'
        + "config :storefront, Storefront.Repo,\n"
        + f'  url: (File.write!("{marker("runtime-in-value")}", "x"); '
        'System.get_env("DATABASE_URL")),\n'
        + '  pool_size: String.to_integer(elem(System.cmd("sh", ["-c", "touch '
        f'{marker("runtime-in-pool")}; echo 5"]), 0))\n'
    )
    config = root / "config" / "config.exs"
    config.write_text(
        config.read_text()
        + f'\nimport_config "#{{File.write!("{marker("import-config")}", "x")}}.exs"\n'
        + f'Mix.shell().cmd("touch {marker("mix-shell")}")\n'
    )
    mix = root / "mix.exs"
    mix.write_text(
        f'File.write!("{marker("mix-top-level")}", "x")\n'
        + mix.read_text().replace(
            "  defp deps do\n",
            f'  defp deps do\n    System.cmd("touch", ["{marker("mix-deps")}"])\n',
        )
    )
    app = root / "lib" / "storefront" / "application.ex"
    app.write_text(
        app.read_text().replace(
            "  def start(_type, _args) do\n",
            f'  def start(_type, _args) do\n    File.write!("{marker("application")}", "x")\n',
        )
    )
    (root / "rel" / "env.sh.eex").write_text(
        f"#!/bin/sh\ntouch {marker('env-sh')}\nexport RELEASE_DISTRIBUTION=name\n"
    )
    migrate = root / "rel" / "overlays" / "bin" / "migrate"
    migrate.write_text(f"#!/bin/sh\ntouch {marker('overlay-migrate')}\n" + migrate.read_text())
    fly = root / "fly.toml"
    fly.write_text(
        fly.read_text().replace(
            "release_command = '/app/bin/migrate'",
            f"release_command = 'sh -c \"touch {marker('release-command')}; /app/bin/migrate\"'",
        )
    )
    (root / ".mpg-lsp.toml").write_text(
        f'# touch {marker("settings")}\npool-mode = "transaction"\n'
    )
    planted = "".join(p.read_text() for p in root.rglob("*") if p.is_file() and p.suffix != ".lock")
    assert all(str(m) in planted for m in made)  # every trap is in place
    return made


@pytest.fixture
def trap(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    markers = tmp_path / "markers"
    markers.mkdir()
    made = booby_trap(root, markers)
    return root, markers, made


def _no_side_effects(markers: Path, made: list[Path]) -> None:
    FIGURES["hostile inputs"] += len(made)
    assert len(made) >= 14
    assert sorted(os.listdir(markers)) == [], "project code ran"


def _syscall_violations(log: Path, allow_writes_under: Path | None = None) -> list[str]:
    """System calls a checker must not make, from an strace -f log."""
    bad = []
    execs = 0
    text = log.read_text()
    if "execve(" not in text:
        return ["strace recorded nothing"]
    for line in text.splitlines():
        call = re.sub(r"^\d+\s+", "", line)
        if call.startswith(("execve(", "execveat(")):
            execs += 1
            if execs > 1:
                bad.append(call)
        elif (
            call.startswith(("fork(", "vfork(", "socket(", "connect(", "bind(", "sendmsg("))
            or call.startswith("socketpair(")
            and "AF_UNIX" not in call
        ):
            bad.append(call)
        elif call.startswith("sendto(") and not re.search(r", NULL, 0\)", call):
            bad.append(call)  # only asyncio's self-pipe writes, to no address
        elif call.startswith(("openat(", "open(", "creat(")) and re.search(
            r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(", call
        ):
            path = re.search(r'"([^"]*)"', call)
            name = path.group(1) if path else ""
            if name in ("/dev/null", "/dev/tty") or (
                allow_writes_under and name.startswith(str(allow_writes_under))
            ):
                continue
            bad.append(call)
    return bad


def test_the_syscall_judge_judges(tmp_path: Path) -> None:
    log = tmp_path / "sample.log"
    log.write_text(
        '1 execve("/usr/bin/python", ["python"], 0x0 /* 3 vars */) = 0\n'
        "1 socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [4, 5]) = 0\n"
        '2 sendto(5, "\\0", 1, 0, NULL, 0)    = 1\n'
        '1 openat(AT_FDCWD, "/tmp/x/fly.toml", O_RDONLY|O_NONBLOCK|O_CLOEXEC) = 3\n'
    )
    assert _syscall_violations(log) == []
    for bad in (
        '1 execve("/bin/sh", ["sh"], 0x0) = 0',
        "1 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3",
        "1 connect(3, {sa_family=AF_INET, sin_port=htons(443)}, 16) = 0",
        '1 openat(AT_FDCWD, "/tmp/pwned", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3',
    ):
        log.write_text(log.read_text() + bad + "\n")
        assert _syscall_violations(log)[-1] == bad.split(" ", 1)[1]


def _traced(log: Path) -> list[str]:
    return [STRACE, "-f", "-qq", "-e", TRACED, "-o", str(log)] if STRACE else []


ENV = {**os.environ, "MPG_LSP_LOG": "DEBUG", "PYTHONDONTWRITEBYTECODE": "1"}


def test_checker_runs_nothing_and_touches_no_network(trap, tmp_path: Path) -> None:
    root, markers, made = trap
    for args in (
        ["check", str(root)],
        ["check", "--format", "json", str(root)],
        ["fix", "--diff", "--unsafe", str(root)],
    ):
        log = tmp_path / f"strace-{args[0]}-{len(args)}.log"
        out = subprocess.run(
            [*_traced(log), sys.executable, "-m", "mpg_lsp", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=ENV,
        )
        assert out.returncode in (0, 1), out.stderr
        assert "Traceback" not in out.stderr
        if STRACE:
            assert _syscall_violations(log) == [], args
    # `fix` writes, through the edits it applies, inside the project only
    log = tmp_path / "strace-fix.log"
    out = subprocess.run(
        [*_traced(log), sys.executable, "-m", "mpg_lsp", "fix", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=ENV,
    )
    assert out.returncode in (0, 1), out.stderr
    if STRACE:
        assert _syscall_violations(log, allow_writes_under=root) == []
    _no_side_effects(markers, made)


def test_server_runs_nothing_and_touches_no_network(trap, tmp_path: Path) -> None:
    root, markers, made = trap
    log = tmp_path / "strace-server.log"
    server = Server(log="DEBUG", prefix=_traced(log), env={"PYTHONDONTWRITEBYTECODE": "1"})
    server.initialize(
        root,
        {
            "workspace": {
                "didChangeWatchedFiles": {"dynamicRegistration": True},
                "workspaceEdit": {"documentChanges": True},
            }
        },
    )
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".exs", ".ex", ".toml")]
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 10**6, "character": 0}}
    for path in files:
        uri = server.open(path)
        lines = path.read_text().split("\n")
        for number, line in enumerate(lines):
            if "touch" in line or "File.write" in line or "System.cmd" in line:
                for column in range(0, len(line), 3):
                    assert "result" in server.hover(uri, number, column)
        for only in (None, ["source.fixAll.mpg-lsp"]):
            context: dict = {"diagnostics": []}
            if only:
                context["only"] = only
            assert "result" in server.request(
                "textDocument/codeAction",
                {"textDocument": {"uri": uri}, "range": whole, "context": context},
            )
        server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    server.notify(
        "workspace/didChangeWatchedFiles",
        {"changes": [{"uri": p.as_uri(), "type": 2} for p in files]},
    )
    server.drain(0.5)
    assert server.close() == 0
    assert server.crashes() == []
    if STRACE:
        assert _syscall_violations(log) == []
    _no_side_effects(markers, made)


class Tripwire(Exception):
    pass


def test_checker_in_process_with_tripwires(
    trap, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No strace needed: sockets, subprocesses and exec raise if anything reaches for them."""
    root, markers, made = trap
    from mpg_lsp import cli

    def tripwire(*args: object, **kwargs: object) -> None:
        raise Tripwire(f"called with {args!r}")

    for target, name in [
        (socket, "socket"),
        (socket, "create_connection"),
        (socket, "getaddrinfo"),
        (subprocess, "Popen"),
        (os, "system"),
        (os, "fork"),
        (os, "execv"),
        (os, "execve"),
        (os, "execvp"),
        (os, "posix_spawn"),
        (os, "popen"),
    ]:
        monkeypatch.setattr(target, name, tripwire)
    for args in (
        ["check", str(root)],
        ["check", "--format", "json", str(root)],
        ["fix", "--diff", "--unsafe", str(root)],
    ):
        assert cli.main(args) in (0, 1)
    out = capsys.readouterr()
    assert "Tripwire" not in out.out + out.err
    _no_side_effects(markers, made)
