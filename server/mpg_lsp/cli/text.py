"""The text format, for people: one line per finding, as ruff's concise output, and the
summary line of `check` and `fix`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mpg_lsp.cli.positions import DocFor, at
from mpg_lsp.cli.redaction import printable
from mpg_lsp.cli.terminal import (
    BOLD,
    CYAN,
    GREEN,
    RED,
    SEVERITY_COLOUR,
    Style,
    display_path,
    plural,
)
from mpg_lsp.records import record
from mpg_lsp.rules.base import Finding
from mpg_lsp.rules.edits import preferred_fix


def fixable(finding: Finding) -> bool:
    """`mpg-lsp fix` fixes it (marked ``[*]``)."""
    return preferred_fix(finding) is not None


def fixable_unsafe_only(finding: Finding) -> bool:
    """Only `mpg-lsp fix --unsafe` fixes it."""
    return not fixable(finding) and preferred_fix(finding, unsafe=True) is not None


def text_lines(
    findings: Iterable[Finding], doc_for: DocFor, style: Style, cwd: str | None = None
) -> Iterator[str]:
    """``path:line:col: CODE [*] message``, as ruff's concise output; ``[*]``: `mpg-lsp fix`
    fixes it."""
    sep = style(":", CYAN)
    for f in findings:
        doc = doc_for(f.path)
        where = at(doc, f.start) if doc is not None else {"line": 1, "column": 1}
        mark = f" {style('[*]', CYAN)}" if fixable(f) else ""
        code = style(f.code, BOLD, SEVERITY_COLOUR.get(f.severity, RED))
        yield (
            f"{style(printable(display_path(f.path, cwd)), BOLD)}{sep}{where['line']}{sep}"
            f"{where['column']}{sep} {code}{mark} {printable(f.message)}"
        )


@record
class Tally:
    """What a summary counts (mutable, so that it crosses from a worker process)."""

    problems: int = 0
    fixable: int = 0
    unsafe_only: int = 0
    checked: int = 0
    skipped: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.problems + other.problems,
            self.fixable + other.fixable,
            self.unsafe_only + other.unsafe_only,
            self.checked + other.checked,
            self.skipped + other.skipped,
        )


def tally(findings: list[Finding]) -> Tally:
    """The counts of one checked project."""
    return Tally(
        len(findings),
        sum(1 for f in findings if fixable(f)),
        sum(1 for f in findings if fixable_unsafe_only(f)),
        checked=1,
    )


def summary_line(
    counts: Tally, style: Style, fixed: int | None = None, unsafe: bool = False
) -> str:
    """``Found 3 problems (3 fixable with `mpg-lsp fix`) in 1 project.``; after `fix`, as
    ruff: ``Found 5 problems (3 fixed, 2 remaining) in 1 project.`` Projects left unchecked
    are counted apart, never as passed."""
    where = plural(counts.checked, "project")
    if counts.skipped:
        where += f" checked; {counts.skipped} not checked (see above)"
    if not counts.checked:
        if not counts.skipped:
            return "No Elixir project to check."
        return f"No project checked: {plural(counts.skipped, 'project')} not checked (see above)."
    found = counts.problems + (fixed or 0)
    if fixed:
        line = (
            f"{style('Found ' + plural(found, 'problem'), BOLD)} ({fixed} fixed, "
            f"{counts.problems} remaining) in {where}."
        )
        if counts.unsafe_only and not unsafe:
            line += f" {counts.unsafe_only} more fixable with `mpg-lsp fix --unsafe`."
        return line
    if not found:
        return style(f"All checks passed ({where}).", GREEN)
    notes = []
    if counts.fixable:
        notes.append(f"{counts.fixable} fixable with `mpg-lsp fix`")
    if counts.unsafe_only:
        more = "more " if counts.fixable else "fixable "
        notes.append(f"{counts.unsafe_only} {more}with `mpg-lsp fix --unsafe`")
    paren = f" ({', '.join(notes)})" if notes else ""
    return f"{style('Found ' + plural(found, 'problem'), BOLD)}{paren} in {where}."
