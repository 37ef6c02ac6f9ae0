"""Writing a fixed file back: its new contents and nothing else about it.

The new text goes to a temporary file beside the file and is renamed over it, so the file is
the old text or the new one, never half of one (also when the process is killed). What the
rename would change is carried over first: mode bits, owner and group, extended attributes
(which hold ACLs and security labels). A file whose owner or attributes cannot be carried over
is left alone and said so, as is a read-only file. A symbolic link is written through to its
target when the target is inside the project (the link stays a link), and refused otherwise.
A file with several hard links is rewritten in place, so that the links stay one file.
Ctrl-C is held off while a file is being written: it takes effect once the file is complete
and no temporary file is left behind.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

TEMP_PREFIX = ".mpg-lsp-"
_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class LeftAlone(Exception):
    """The file was not written, on purpose; the message says why (for the user)."""


def write_fixed(path: str, data: bytes, root: str) -> str:
    """Write ``data`` as the contents of ``path`` (a file of the project at ``root``); return
    the file actually written (a link's target). Raises LeftAlone, or OSError when writing
    failed (the file is then as it was)."""
    target = _target(path, root)
    st = os.stat(target)
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise LeftAlone("read-only; left as it was")
    with _signals_held():
        if st.st_nlink > 1:
            _rewrite_in_place(target, data)
        else:
            _replace(target, data, st)
    return target


def _target(path: str, root: str) -> str:
    """The file to write: ``path`` itself, or what its link points to when that is inside
    the project."""
    if not os.path.islink(path):
        return path
    real = os.path.realpath(path)
    inside = os.path.realpath(root)
    if os.path.commonpath([real, inside]) != inside:
        raise LeftAlone(
            "a symbolic link to a file outside the project; left as it was (fix the file it "
            "points to from its own project, or replace the link with a copy)"
        )
    return real


def _replace(path: str, data: bytes, st: os.stat_result) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            _carry_over(handle.fileno(), path, st)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _carry_over(fd: int, path: str, st: os.stat_result) -> None:
    """Owner, group, mode bits and extended attributes of ``path`` onto the open file."""
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            raise LeftAlone(
                "owned by another user or group, which a rewrite would change; left as it was"
            ) from None
    os.fchmod(fd, st.st_mode & 0o7777)  # after chown, which clears set-id bits
    for name in _xattrs(path):
        try:
            os.setxattr(fd, name, os.getxattr(path, name, follow_symlinks=False))
        except OSError:
            raise LeftAlone(
                f"its extended attribute {name} cannot be carried over; left as it was"
            ) from None


def _xattrs(path: str) -> list[str]:
    try:
        return os.listxattr(path, follow_symlinks=False)
    except (OSError, AttributeError):  # no xattr support on this file system or platform
        return []


def _rewrite_in_place(path: str, data: bytes) -> None:
    """For a file with hard links: the same inode, so every link sees the fix."""
    fd = os.open(path, os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C (and TERM, HUP) wait until the block is done: a file is never left half
    written, nor a temporary file behind."""
    held = hasattr(signal, "pthread_sigmask")
    if held:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
