"""The text format, for people: one line per finding, as ruff's concise output, and the
summary line of `check` and `fix`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mpg_lsp.cli.positions import DocFor, at
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
            f"{style(display_path(f.path, cwd), BOLD)}{sep}{where['line']}{sep}"
            f"{where['column']}{sep} {code}{mark} {f.message}"
        )


def check_summary(findings: list[Finding], projects: int, style: Style) -> str:
    if not projects:
        return "No Elixir project to check."
    where = plural(projects, "project")
    if not findings:
        return style(f"All checks passed ({where}).", GREEN)
    safe = sum(1 for f in findings if fixable(f))
    unsafe = sum(1 for f in findings if fixable_unsafe_only(f))
    notes = []
    if safe:
        notes.append(f"{safe} fixable with `mpg-lsp fix`")
    if unsafe:
        notes.append(f"{unsafe} {'more ' if safe else 'fixable '}with `mpg-lsp fix --unsafe`")
    paren = f" ({', '.join(notes)})" if notes else ""
    return f"{style('Found ' + plural(len(findings), 'problem'), BOLD)}{paren} in {where}."


def fix_summary(
    fixed: int, remaining: list[Finding], projects: int, unsafe: bool, style: Style
) -> str:
    """As ruff: ``Found 5 problems (3 fixed, 2 remaining) in 1 project.``"""
    if not fixed:
        return check_summary(remaining, projects, style)
    where = plural(projects, "project")
    total = fixed + len(remaining)
    found = style("Found " + plural(total, "problem"), BOLD)
    line = f"{found} ({fixed} fixed, {len(remaining)} remaining) in {where}."
    hidden = 0 if unsafe else sum(1 for f in remaining if fixable_unsafe_only(f))
    if hidden:
        line += f" {hidden} more fixable with `mpg-lsp fix --unsafe`."
    return line
