"""The SARIF 2.1.0 format, for code scanning (GitHub's Security tab and other viewers)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from mpg_lsp import HOME, __version__
from mpg_lsp.cli.positions import DocFor, at
from mpg_lsp.cli.redaction import carries_secret
from mpg_lsp.rules.base import DOCS_DIR, Finding, Fix, Rule
from mpg_lsp.syntax.document import Document

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
SRCROOT = "%SRCROOT%"


def _artifact(path: str, cwd: str) -> dict[str, str]:
    """Relative to %SRCROOT% (the working folder) when inside it, else an absolute file URI."""
    from urllib.parse import quote  # SARIF only: kept off the start-up of text output

    rel = os.path.relpath(path, cwd)
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return {"uri": _file_uri(path)}
    return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _file_uri(path: str, folder: bool = False) -> str:
    from urllib.parse import quote

    posix = os.path.abspath(path).replace(os.sep, "/")
    if not posix.startswith("/"):
        posix = "/" + posix  # C:/x -> /C:/x
    if folder and not posix.endswith("/"):
        posix += "/"
    return "file://" + quote(posix)


def _region(doc: Document, start: int, end: int) -> dict[str, int]:
    s, e = at(doc, start, "utf-16"), at(doc, end, "utf-16")
    return {
        "startLine": s["line"],
        "startColumn": s["column"],
        "endLine": e["line"],
        "endColumn": e["column"],
    }


def _sarif_fix(fix: Fix, doc_for: DocFor, cwd: str) -> dict[str, Any] | None:
    if carries_secret(fix):
        return None
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        doc = doc_for(edit.path)
        if doc is None:
            return None
        changes.setdefault(edit.path, []).append(
            {
                "deletedRegion": _region(doc, edit.start, edit.end),
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {"artifactLocation": _artifact(path, cwd), "replacements": replacements}
            for path, replacements in changes.items()
        ],
        "properties": {"preferred": fix.preferred, "safe": fix.safe},
    }


def sarif_rule(rule: Rule) -> dict[str, Any]:
    docs = rule.docs()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule.url,
        "help": {"text": docs, "markdown": docs},
        "defaultConfiguration": {"level": SARIF_LEVEL.get(rule.severity, "warning")},
        "properties": {"fixable": rule.fixable, "transactionOnly": rule.transaction_only},
    }


def sarif_results(
    findings: Iterable[Finding], doc_for: DocFor, rules: Mapping[str, Rule], cwd: str | None = None
) -> list[dict[str, Any]]:
    """A result per finding: regions 1-based, columns in UTF-16 code units (SARIF's default,
    declared in ``columnKind``); ``ruleIndex`` into the code-ordered rules of the document."""
    cwd = cwd or os.getcwd()
    index = {code: i for i, code in enumerate(sorted(rules))}
    results = []
    for f in findings:
        doc = doc_for(f.path)
        location: dict[str, Any] = {"artifactLocation": _artifact(f.path, cwd)}
        if doc is not None:
            location["region"] = _region(doc, f.start, f.end)
        result: dict[str, Any] = {"ruleId": f.code}
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        result |= {
            "level": SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
        }
        fixes = [
            x
            for x in (
                _sarif_fix(fix, doc_for, cwd)
                for fix in sorted(f.fixes, key=lambda x: not x.preferred)
            )
            if x
        ]
        if fixes:
            result["fixes"] = fixes
        results.append(result)
    return results


def sarif_document(
    results: list[dict[str, Any]], rules: Mapping[str, Rule], cwd: str | None = None
) -> dict[str, Any]:
    """One run; every registered rule in ``tool.driver.rules``, in code order."""
    cwd = cwd or os.getcwd()
    ordered = sorted(rules.values(), key=lambda r: r.code)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mpg-lsp",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": HOME or _file_uri(DOCS_DIR, folder=True),
                        "rules": [sarif_rule(rule) for rule in ordered],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _file_uri(cwd, folder=True)}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
