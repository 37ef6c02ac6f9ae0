"""The JSON format: one object per finding, with its fixes' edits, for scripts.

(Inside the package, ``import json`` still means the standard library's module.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mpg_lsp.cli.positions import DocFor, at
from mpg_lsp.cli.redaction import carries_secret
from mpg_lsp.cli.terminal import display_path
from mpg_lsp.cli.text import fixable
from mpg_lsp.rules.base import Finding, Fix, Rule


def dumps(data: Any) -> str:
    """JSON, UTF-8 as it is, but with DEL, the C1 controls and the bidirectional overrides
    escaped as the C0 controls are (a backslash-u escape): the same JSON, and nothing a
    terminal would obey."""
    import json  # only the json and sarif formats need it; text output starts faster without
    import re

    text = json.dumps(data, indent=2, ensure_ascii=False)
    return re.sub(_UNSAFE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", text)


_UNSAFE_IN_JSON = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def _edits_json(fix: Fix, doc_for: DocFor, cwd: str | None) -> list[dict[str, Any]] | None:
    if carries_secret(fix):
        return None
    edits = []
    for edit in fix.edits:
        doc = doc_for(edit.path)
        if doc is None:
            return None
        edits.append(
            {
                "path": display_path(edit.path, cwd),
                "start": at(doc, edit.start),
                "end": at(doc, edit.end),
                "text": edit.text,
            }
        )
    return edits


def json_findings(
    findings: Iterable[Finding], doc_for: DocFor, rules: Mapping[str, Rule], cwd: str | None = None
) -> list[dict[str, Any]]:
    """One object per finding; lines and columns 1-based, columns in characters (code points)."""
    items = []
    for f in findings:
        doc = doc_for(f.path)
        rule = rules.get(f.code)
        fixes = []
        for fix in f.fixes:
            edits = _edits_json(fix, doc_for, cwd)
            if edits is not None:
                fixes.append(
                    {
                        "title": fix.title,
                        "preferred": fix.preferred,
                        "safe": fix.safe,
                        "edits": edits,
                    }
                )
        items.append(
            {
                "code": f.code,
                "name": rule.name if rule else None,
                "severity": f.severity,
                "message": f.message,
                "path": display_path(f.path, cwd),
                "start": at(doc, f.start) if doc else None,
                "end": at(doc, f.end) if doc else None,
                "url": rule.url if rule else None,
                "fixable": fixable(f),
                "fixes": fixes,
            }
        )
    return items
