"""Suppression comments, their quick fix, and MPG001 for those that suppress nothing.

``# mpg-lsp: ignore MPG101`` at the end of a diagnostic's first line, or alone on the line
above it; ``# mpg-lsp: ignore-file MPG201`` anywhere in the file. Elixir, TOML, shell scripts,
Dockerfiles, Makefiles and YAML all use ``#`` comments, so one reader serves them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from mpg_lsp.project.model import ProdView
from mpg_lsp.records import field, record, replace
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang

_MARK = b"mpg-lsp:"
# Compiled on first use (`re` caches it): only files that mention mpg-lsp: need it.
_DIRECTIVE = rb"#\s*mpg-lsp:\s*(ignore-file|ignore)\b[ \t]*((?:[A-Za-z0-9]+[ \t]*,?[ \t]*)*)"


@record
class Suppression:
    path: str
    whole_file: bool
    codes: tuple[str, ...]
    start: int  # the "#"
    end: int  # end of the directive
    line: int
    own_line: bool
    used: set[str] = field(default_factory=set)


def _in_comment(doc: Document, offset: int) -> bool:
    if doc.lang is Lang.TEXT:  # shell, Dockerfile, Makefile, YAML: `#` after a blank or at start
        return offset == 0 or doc.text[offset - 1 : offset] in (b" ", b"\t", b"\n", b"\r")
    node = doc.tree.root_node.descendant_for_byte_range(offset, offset + 1)
    return node is not None and node.type == "comment"


def read(doc: Document) -> list[Suppression]:
    found: list[Suppression] = []
    text = doc.text
    at = text.find(_MARK)
    while at != -1:
        line = doc.lines.line_of(at)
        line_start, line_end = doc.lines.line_bounds(line, text)
        hash_at = text.rfind(b"#", line_start, at)
        match = re.compile(_DIRECTIVE).match(text, hash_at) if hash_at != -1 else None
        if match is not None and match.end() <= line_end and _in_comment(doc, hash_at):
            codes = tuple(
                c.upper()
                for c in re.findall(rb"[A-Za-z0-9]+", match.group(2))
                for c in [c.decode()]
            )
            found.append(
                Suppression(
                    doc.path,
                    match.group(1) == b"ignore-file",
                    codes,
                    hash_at,
                    hash_at + len(match.group(0).rstrip()),
                    line,
                    not text[line_start:hash_at].strip(),
                )
            )
        at = text.find(_MARK, at + len(_MARK))
    return found


def _ignore_fix(doc: Document, finding: Finding) -> Fix:
    """A comment line above the diagnostic, at its indentation."""
    line = doc.lines.line_of(finding.start)
    start = doc.lines.start(line)
    content = doc.text[start : doc.lines.line_bounds(line, doc.text)[1]]
    indent = content[: len(content) - len(content.lstrip(b" \t"))].decode()
    eol = doc.line_ending().decode()
    return Fix(
        f"Ignore {finding.code} on this line",
        (Edit(finding.path, start, start, f"{indent}# mpg-lsp: ignore {finding.code}{eol}"),),
    )


def _removal(doc: Document, s: Suppression, unused: set[str]) -> Edit:
    if unused != set(s.codes):
        kept = ", ".join(c for c in s.codes if c not in unused)
        directive = "ignore-file" if s.whole_file else "ignore"
        return Edit(s.path, s.start, s.end, f"# mpg-lsp: {directive} {kept}")
    line_start, line_end = doc.lines.line_bounds(s.line, doc.text)
    if s.own_line and not doc.text[s.end : line_end].strip():
        stop = doc.lines.starts[s.line + 1] if s.line + 1 < len(doc.lines) else line_end
        return Edit(s.path, line_start, stop, "")
    if s.own_line:  # another comment follows on the line: it keeps the line's indentation
        after = s.end
        while after < line_end and doc.text[after : after + 1] in (b" ", b"\t"):
            after += 1
        return Edit(s.path, s.start, after, "")
    before = s.start
    while before > line_start and doc.text[before - 1 : before] in (b" ", b"\t"):
        before -= 1
    return Edit(s.path, before, s.end, "")


@rule(
    "MPG001",
    "unused-suppression",
    "hint",
    "A `# mpg-lsp: ignore` comment that suppresses nothing.",
)
def _unused(view: ProdView) -> Iterator[Finding]:
    return iter(())  # computed by `apply`, which sees every other rule's findings


def apply(view: ProdView, findings: Iterable[Finding], report_unused: bool) -> list[Finding]:
    """Drop suppressed findings, add the "ignore" quick fix to the rest, and report unused
    suppressions as MPG001."""
    suppressions: dict[str, list[Suppression]] = {}
    for path, doc in view.docs.items():
        if _MARK in doc.text:
            suppressions[path] = read(doc)
    kept: list[Finding] = []
    for finding in findings:
        found_in = view.docs.get(finding.path)
        if found_in is None:
            kept.append(finding)
            continue
        doc = found_in
        line = doc.lines.line_of(finding.start)
        hit = None
        for s in suppressions.get(finding.path, []):
            if finding.code not in s.codes:
                continue
            if (
                s.whole_file
                or (s.line == line and not s.own_line)
                or (s.own_line and s.line == line - 1)
            ):
                hit = s
                break
        if hit is not None:
            hit.used.add(finding.code)
            continue
        kept.append(replace(finding, fixes=(*finding.fixes, _ignore_fix(doc, finding))))
    if report_unused:
        for path, items in suppressions.items():
            doc = view.docs[path]
            for s in items:
                unused = {
                    c for c in s.codes if c not in s.used and view.settings.rule_enabled(c)
                } | {c for c in s.codes if not re.fullmatch(r"MPG\d{3}", c)}
                if not unused:
                    continue
                kept.append(
                    Finding(
                        "MPG001",
                        path,
                        s.start,
                        s.end,
                        f"This suppression of {', '.join(sorted(unused))} suppresses nothing here; "
                        "remove it so it does not hide a future problem.",
                        "hint",
                        (
                            Fix(
                                "Remove the unused suppression",
                                (_removal(doc, s, unused),),
                                preferred=True,
                            ),
                        ),
                        tags=("unnecessary",),
                    )
                )
    return kept
