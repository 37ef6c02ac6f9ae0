"""The GitHub format: workflow commands that GitHub Actions turns into annotations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mpg_lsp.cli.positions import DocFor, at
from mpg_lsp.cli.redaction import printable
from mpg_lsp.cli.terminal import display_path
from mpg_lsp.rules.base import Finding

GITHUB_LEVEL = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}


def _gh_data(text: str) -> str:
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)  # a workflow log is shown by a terminal emulator too


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(
    findings: Iterable[Finding], doc_for: DocFor, cwd: str | None = None
) -> Iterator[str]:
    """``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=MPG101::message``: GitHub
    Actions turns these into annotations on the pull request's files."""
    for f in findings:
        doc = doc_for(f.path)
        props = [f"file={_gh_property(display_path(f.path, cwd))}"]
        if doc is not None:
            s, e = at(doc, f.start), at(doc, f.end)
            props += [
                f"line={s['line']}",
                f"col={s['column']}",
                f"endLine={e['line']}",
                f"endColumn={e['column']}",
            ]
        props.append(f"title={_gh_property(f.code)}")
        level = GITHUB_LEVEL.get(f.severity, "warning")
        yield f"::{level} {','.join(props)}::{_gh_data(f.message)}"
