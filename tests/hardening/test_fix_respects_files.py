"""`mpg-lsp fix` changes the contents it promised and nothing else about a file: owner, group,
mode bits and extended attributes stay; a symbolic link stays a link (written through when it
points inside the project, refused when it points outside); hard links stay one file; a
read-only file is left alone and said so; and an interrupted run (Ctrl-C, or SIGKILL) leaves
every file either as it was or completely fixed, and after Ctrl-C no temporary file and no
traceback."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from command_line import SCRIPT, clean_env, run
from harness import FIGURES
from projects import SAMPLE, copy_project

FIXED = ("config/config.exs", "config/runtime.exs", "fly.toml")  # what fix rewrites in SAMPLE


def contents(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FIXED}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The sample's files before and after a plain `mpg-lsp fix`."""
    root = copy_project(SAMPLE, tmp_path_factory.mktemp("reference") / "storefront")
    before = contents(root)
    assert run("fix", str(root)).returncode == 0
    after = contents(root)
    assert all(before[name] != after[name] for name in FIXED)
    return before, after


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_owner_group_mode_and_extended_attributes_are_kept(
    tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    os.chown(fly, 65534, 65534)  # nobody:nogroup, as a file of another user in a shared tree
    fly.chmod(0o640)
    try:
        os.setxattr(fly, "user.mpg-lsp-test", b"kept")
        xattr = True
    except OSError:  # a file system without user attributes
        xattr = False
    before = os.stat(fly)
    done = run("fix", str(root))
    assert done.returncode == 0, done.stderr
    assert fly.read_bytes() == expected[1]["fly.toml"]
    after = os.stat(fly)
    assert (after.st_uid, after.st_gid, after.st_mode) == (
        before.st_uid,
        before.st_gid,
        before.st_mode,
    )
    if xattr:
        assert os.getxattr(fly, "user.mpg-lsp-test") == b"kept"
    assert not list(root.rglob(".mpg-lsp-*"))


def test_a_symlink_inside_the_project_is_written_through(
    tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / "deploy").mkdir()
    (root / "fly.toml").rename(root / "deploy" / "fly.production.toml")
    (root / "fly.toml").symlink_to(Path("deploy") / "fly.production.toml")
    done = run("fix", str(root))
    assert done.returncode == 0, done.stderr
    assert (root / "fly.toml").is_symlink()
    assert os.readlink(root / "fly.toml") == os.path.join("deploy", "fly.production.toml")
    assert (root / "deploy" / "fly.production.toml").read_bytes() == expected[1]["fly.toml"]


def test_a_symlink_to_a_file_outside_the_project_is_refused(
    tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    shared = tmp_path / "shared" / "fly.toml"
    shared.parent.mkdir()
    (root / "fly.toml").rename(shared)
    (root / "fly.toml").symlink_to(shared)
    done = run("fix", str(root))
    assert done.returncode == 1  # what the link's file needs remains
    assert "fly.toml: a symbolic link to a file outside the project; left as it was" in done.stderr
    assert (root / "fly.toml").is_symlink() and shared.read_bytes() == expected[0]["fly.toml"]
    assert (root / "config" / "runtime.exs").read_bytes() == expected[1]["config/runtime.exs"]


def test_hard_links_stay_one_file(
    tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    other = tmp_path / "fly.toml.link"
    os.link(root / "fly.toml", other)
    assert run("fix", str(root)).returncode == 0
    assert os.path.samefile(root / "fly.toml", other)
    assert other.read_bytes() == expected[1]["fly.toml"]


def test_a_read_only_file_is_reported_and_left_alone(
    tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    fly.chmod(0o444)
    done = run("fix", str(root))
    assert done.returncode == 1
    assert "fly.toml: read-only; left as it was" in done.stderr
    assert fly.read_bytes() == expected[0]["fly.toml"] and fly.stat().st_mode & 0o777 == 0o444
    assert (root / "config" / "runtime.exs").read_bytes() == expected[1]["config/runtime.exs"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_fix_leaves_whole_files(
    sig: signal.Signals, tmp_path: Path, expected: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    """Runs interrupted at random moments, from start-up to the last write: every file is the
    old text or the new, never a mix or a truncation."""
    rng = random.Random(f"fix-{sig.name}")
    before, after = expected
    # not before the interpreter itself is up: a Ctrl-C while Python starts (its own
    # site-packages set-up) shows Python's traceback, not ours; measured, with a margin
    bare = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.monotonic() - started)
    earliest = 2 * min(bare)
    started = time.monotonic()
    done = run("fix", str(copy_project(SAMPLE, tmp_path / "timing")))
    assert done.returncode == 0
    whole_run = time.monotonic() - started
    interrupted = 0
    for n in range(25):
        root = copy_project(SAMPLE, tmp_path / f"run{n}")
        proc = subprocess.Popen(
            [SCRIPT, "fix", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
            # as from an interactive shell: a suite started in the background (`&`) would
            # hand down SIGINT ignored, and Python keeps it ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(rng.uniform(earliest, whole_run * 1.1))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        interrupted += proc.returncode != 0
        for name, text in contents(root).items():
            assert text in (before[name], after[name]), f"run {n}: {name} is neither"
            FIGURES["fixes checked"] += 1
        if sig == signal.SIGINT:
            assert not list(root.rglob(".mpg-lsp-*")), f"run {n}: a temporary file is left"
            assert b"Traceback" not in err, err.decode()
            FIGURES["corruptions"] += 0
    assert interrupted >= 5  # the moments did fall inside runs
