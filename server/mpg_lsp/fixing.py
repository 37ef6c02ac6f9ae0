"""Applying preferred fixes to whole projects, for `mpg-lsp fix`.

Fixes are applied in passes (two fixes that touch the same place wait for the next pass),
each pass on the previous pass's text, held in the workspace as if an editor had the files
open; nothing touches the disk here. A file whose fixed text would not parse is left as it
was, and said so.
"""

from __future__ import annotations

import sys

from mpg_lsp.engine import Engine
from mpg_lsp.records import field, record
from mpg_lsp.rules.edits import apply_edits, preferred_edits
from mpg_lsp.syntax.document import Document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_PASSES = 6


@record
class FixResult:
    original: dict[str, bytes] = field(default_factory=dict)  # path -> bytes before
    fixed: dict[str, bytes] = field(default_factory=dict)  # path -> bytes after
    applied: int = 0
    refused: list[str] = field(default_factory=list)  # files whose fix would break them


def _still_valid(before: Document, after: bytes) -> bool:
    """The fixed text parses at least as well as the original did."""
    if before.path.endswith(".toml"):
        try:
            tomllib.loads(after.decode("utf-8"))
            return True
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return False
    probe = Document(before.path, before.lang, after)
    return before.tree.root_node.has_error or not probe.tree.root_node.has_error


def fix_project(engine: Engine, root: str, unsafe: bool = False) -> FixResult:
    result = FixResult()
    for _ in range(MAX_PASSES):
        findings = engine.findings(root)
        edits = preferred_edits(findings, safe_only=not unsafe)
        edits = [e for e in edits if e.path not in result.refused]
        if not edits:
            break
        progressed = False
        for path in sorted({e.path for e in edits}):
            doc = engine.ws.get(path)
            if doc is None:
                continue
            mine = [e for e in edits if e.path == path]
            new = apply_edits(doc.text, mine)
            if not _still_valid(doc, new):
                result.refused.append(path)
                continue
            result.original.setdefault(path, doc.text)
            result.fixed[path] = new
            engine.ws.open(path, new, None)  # the next pass reads the fixed text
            result.applied += len({(e.start, e.end) for e in mine})
            progressed = True
        if not progressed:
            break
    return result
