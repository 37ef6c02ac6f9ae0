"""The disk at its worst, for the checker and the engine: unreadable files and folders, named
pipes, devices, symlink loops, invalid UTF-8, files over the size limit, a project that vanishes
between two reads. Nothing raises, nothing hangs, every problem is one log line."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from harness import FIGURES, without_root_privileges
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.project import filesystem
from mpg_lsp.project.filesystem import DiskFileSystem
from projects import SAMPLE, copy_project


def hostile_disk(root: Path) -> int:
    """Turn a copy of the sample project into a minefield; how many mines."""
    (root / "fly.toml").chmod(0)
    (root / "config" / "prod.exs").chmod(0)
    (root / "lib" / "storefront").chmod(0)
    (root / "rel").chmod(0o111)
    os.mkfifo(root / "fly.production.toml")
    (root / "fly.staging.toml").symlink_to("/dev/zero")
    (root / "fly.dev.toml").mkdir()
    (root / "config" / "loop").symlink_to(root / "config")
    (root / "deploy").mkdir()
    (root / "deploy" / "again").symlink_to(root / "deploy")
    (root / "deploy" / "self.toml").symlink_to(root / "deploy" / "self.toml")
    (root / "deploy" / "big.toml").write_bytes(b"a = 1\n" * (5 * 1024 * 1024 // 6))
    (root / "deploy" / "binary.toml").write_bytes(os.urandom(64 * 1024))
    (root / "config" / "runtime.exs").write_bytes(
        (root / "config" / "runtime.exs").read_bytes().replace(b"url:", b"url:\xff\xfe\xc3\x28")
    )
    (root / "config" / "releases.exs").symlink_to(root / "missing.exs")
    return 15


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_checker_on_a_hostile_disk(tmp_path: Path, fmt: str) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    FIGURES["hostile inputs"] += hostile_disk(root)
    prefix = without_root_privileges()
    out = subprocess.run(
        [*prefix, sys.executable, "-m", "mpg_lsp", "check", "--format", fmt, str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "MPG_LSP_LOG": "WARNING"},
    )
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr
    if fmt == "json":
        json.loads(out.stdout)
    if prefix:  # really refused, and said so once per file
        assert out.stderr.count(f"cannot read {root / 'fly.toml'}") == 1, out.stderr
    assert f"{root / 'fly.production.toml'}: not a regular file" in out.stderr
    diff = subprocess.run(
        [*prefix, sys.executable, "-m", "mpg_lsp", "fix", "--diff", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert diff.returncode in (0, 1) and "Traceback" not in diff.stderr, diff.stderr


class NonRootPermissions:
    """os.open and os.listdir as a non-root user sees them: mode 000 means EACCES. The
    FileSystem double for machines where tests run as root without setpriv."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_open, real_listdir = os.open, os.listdir

        def check(path: str | os.PathLike[str]) -> None:
            if os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) & 0o444 == 0:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))

        def guarded_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
            check(path)
            return real_open(path, flags, *args, **kwargs)

        def guarded_listdir(path="."):  # type: ignore[no-untyped-def]
            check(path)
            return real_listdir(path)

        monkeypatch.setattr(filesystem.os, "open", guarded_open)
        monkeypatch.setattr(filesystem.os, "listdir", guarded_listdir)


def test_engine_reads_around_unreadable_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    FIGURES["hostile inputs"] += hostile_disk(root)
    NonRootPermissions(monkeypatch)
    caplog.set_level(logging.WARNING)
    engine = Engine(DiskFileSystem())
    (project,) = discover_projects(str(root), engine.fs)
    findings = engine.findings(project)
    assert all(f.path != str(root / "fly.toml") for f in findings)  # it could not be read
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith(f"cannot read {root / 'fly.toml'}: Permission denied") for m in messages
    ), messages
    assert any("not a regular file" in m for m in messages)
    assert any(f"skipping {root / 'deploy' / 'big.toml'}: larger than" in m for m in messages)


def test_project_vanishing_between_reads(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    engine = Engine()
    (project,) = discover_projects(str(root), engine.fs)
    assert engine.findings(project)
    shutil.rmtree(root)
    engine.files_changed([str(root / "fly.toml")])  # one watched event, the rest unknown
    engine.findings(project)
    engine.files_changed(None)
    assert engine.findings(project) == []
    assert discover_projects(str(root), engine.fs) == []
    assert engine.root_of(str(root / "config" / "runtime.exs")) is None
    root.mkdir()  # back, empty
    engine.files_changed(None)
    assert engine.findings(project) == []
    FIGURES["hostile inputs"] += 2
