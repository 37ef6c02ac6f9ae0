"""Writing a fixed file back: the whole new content or nothing."""

from __future__ import annotations

import os


def write_atomically(path: str, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it over the original, so
    a failure midway leaves the original intact. The file's permissions are kept."""
    import tempfile

    folder = os.path.dirname(path) or "."
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".mpg-lsp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
