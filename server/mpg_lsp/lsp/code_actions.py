"""Code actions: a quick fix per fix of each diagnostic, and ``source.fixAll.mpg-lsp``.

Fixes are recomputed from the current document rather than trusted from the request's
diagnostics, and every edit of an open document carries its version, so a client applies it
only to the text it was computed on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from lsprotocol import types as t

from mpg_lsp.lsp.diagnostics import findings_by_path, to_diagnostic
from mpg_lsp.lsp.positions import to_offsets, to_range
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import Session
from mpg_lsp.rules import Edit
from mpg_lsp.rules.edits import preferred_edits

FIX_ALL = "source.fixAll.mpg-lsp"


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    if not only:
        return kind == t.CodeActionKind.QuickFix
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def workspace_edit(session: Session, edits: list[Edit]) -> t.WorkspaceEdit | None:
    by_path: dict[str, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_path[edit.path].append(edit)
    versioned = session.versioned_edits
    changes: dict[str, list[t.TextEdit]] = {}
    document_changes: list[t.TextDocumentEdit] = []
    for path, group in by_path.items():
        uri = session.uri(path)
        doc = session.engine.ws.get(path)  # the open document, else the file on disk
        if doc is None:
            return None
        text_edits = [
            t.TextEdit(range=to_range(doc, e.start, e.end, session.encoding), new_text=e.text)
            for e in group
        ]
        if versioned:
            version = doc.version if session.is_open(path) else None
            document_changes.append(
                t.TextDocumentEdit(
                    text_document=t.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=list(text_edits),
                )
            )
        else:
            changes[uri] = text_edits
    if versioned:
        return t.WorkspaceEdit(document_changes=list(document_changes))
    return t.WorkspaceEdit(changes=changes)


def register(server: MpgServer) -> None:
    @server.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def code_action(ls: MpgServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        session = ls.session
        doc = session.document(params.text_document.uri)
        if doc is None:
            return None
        path = doc.path
        root = session.engine.root_of(path)
        if root is None:
            return None
        findings = findings_by_path(session, root).get(path, [])
        start, end = to_offsets(doc, params.range, session.encoding)
        only = params.context.only
        actions: list[t.CodeAction] = []
        if _wanted(only, t.CodeActionKind.QuickFix):
            for finding in findings:
                if finding.start > end or finding.end < start:
                    continue
                diagnostic = to_diagnostic(finding, doc, session)
                for fix in finding.fixes:
                    edit = workspace_edit(session, list(fix.edits))
                    if edit is None:
                        continue
                    actions.append(
                        t.CodeAction(
                            title=fix.title,
                            kind=t.CodeActionKind.QuickFix,
                            diagnostics=[diagnostic],
                            is_preferred=fix.preferred or None,
                            edit=edit,
                        )
                    )
        if only and _wanted(only, FIX_ALL):
            chosen = preferred_edits(findings, only_path=path)
            if chosen:
                edit = workspace_edit(session, chosen)
                if edit is not None:
                    actions.append(
                        t.CodeAction(title="Fix all mpg-lsp problems", kind=FIX_ALL, edit=edit)
                    )
        return actions
