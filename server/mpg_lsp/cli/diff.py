"""The diff that `fix --diff` prints: a unified diff per fixed file, coloured on a terminal."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from mpg_lsp.cli.redaction import printable
from mpg_lsp.cli.terminal import BOLD, CYAN, GREEN, RED, Style, display_path
from mpg_lsp.project.secrets import mask_secrets


def _diff_name(side: str, path: str) -> str:
    shown = display_path(path)
    return shown if os.path.isabs(shown) else f"{side}/{shown}"


def unified_diff(path: str, old: bytes, new: bytes) -> Iterator[str]:
    """``--- a/path`` / ``+++ b/path`` and the hunks (paths outside the working folder stay
    absolute, without the a/ b/ prefixes). Secrets are masked as `check` masks them, and
    control characters shown as escapes: the diff is for reading, not for `patch`, whenever
    a line carries either."""
    import difflib  # only `fix --diff` needs it

    for line in difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(keepends=True),
        new.decode("utf-8", "replace").splitlines(keepends=True),
        fromfile=_diff_name("a", path),
        tofile=_diff_name("b", path),
    ):
        body = line.rstrip("\r\n")
        yield printable(mask_secrets(body)) + line[len(body) :]


def colour_diff(lines: Iterable[str], style: Style) -> Iterator[str]:
    colours = (("---", BOLD), ("+++", BOLD), ("@@", CYAN), ("+", GREEN), ("-", RED))
    for line in lines:
        colour = next((c for prefix, c in colours if line.startswith(prefix)), None)
        if colour is None or not style.enabled:
            yield line
        else:
            body = line.rstrip("\r\n")
            yield style(body, colour) + line[len(body) :]
