"""What the command line knows about terminals: colour (when and how), the width, progress on
stderr, and how a path is shown."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO

from mpg_lsp.records import record

BOLD, DIM, UNDERLINE = "1", "2", "4"
RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN = "31", "32", "33", "34", "35", "36"
SEVERITY_COLOUR = {"error": RED, "warning": YELLOW, "information": BLUE, "hint": MAGENTA}


def want_colour(
    stream: IO[str], choice: str = "auto", environ: Mapping[str, str] | None = None
) -> bool:
    """``--color always|never`` wins; then NO_COLOR (no-color.org), then FORCE_COLOR
    (force-color.org; "0" and "false" do not force, as in Node); then: is it a terminal?"""
    env = os.environ if environ is None else environ
    if choice in ("always", "never"):
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    return is_terminal(stream, env)


def is_terminal(stream: IO[str] | None, environ: Mapping[str, str] | None = None) -> bool:
    """A terminal that understands escape sequences (not TERM=dumb)."""
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def terminal_columns(stream: IO[str] | None = None) -> int:
    """The width to fit lines to, as ``shutil.get_terminal_size`` answers it (without importing
    ``shutil``): $COLUMNS, else the width of ``stream``'s terminal (stdout's by default), else
    80. A width a pseudo-terminal reports as 0 counts as unknown."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        target = stream if stream is not None else sys.__stdout__
        try:
            columns = os.get_terminal_size(target.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


@record(frozen=True)
class Style:
    enabled: bool

    def __call__(self, text: str, *codes: str) -> str:
        if not self.enabled or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


class Progress:
    """``[3/30] checking apps/billing`` on one line of stderr, redrawn in place, cleared at the
    end; only on a terminal, and only when there is more than one project."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.enabled = total > 1 and is_terminal(self.stream)
        self.shown = False

    def step(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        line = f"[{done}/{self.total}] {label}"[: terminal_columns(self.stream) - 1]
        self.stream.write(f"\r\x1b[2K{line}")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the working folder when inside it, else absolute."""
    rel = os.path.relpath(path, cwd or os.getcwd())
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
