"""How a command ends: its exit code, and the usage error that ends it with a message."""

from __future__ import annotations

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


class UsageError(Exception):
    """A bad command line (a flag, a path, a setting): exit 2 with the message."""
