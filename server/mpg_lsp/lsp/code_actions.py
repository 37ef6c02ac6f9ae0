"""Code actions: a quick fix per fix of each diagnostic on the lines the request touches (or
named by its diagnostics' ``data``), and ``source.fixAll.mpg-lsp`` when ``only`` asks for it or
for a parent kind (``source.fixAll``, ``source``).

Fixes are recomputed from the current document rather than trusted from the request's
diagnostics, and every edit of an open document carries its version, so a client applies it
only to the text it was computed on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from lsprotocol import types as t

from mpg_lsp.lsp.diagnostics import SOURCE, findings_by_path, to_diagnostic
from mpg_lsp.lsp.positions import to_range
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import Session
from mpg_lsp.rules import Edit, Finding
from mpg_lsp.rules.edits import preferred_edits
from mpg_lsp.syntax.document import Document

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
        if not session.in_sync(path):
            return None  # never an edit computed on a text the editor may not have
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


def _data_key(diagnostic: t.Diagnostic) -> tuple[str, int, int] | None:
    """The finding one of our diagnostics was made from, as its ``data`` names it."""
    data = diagnostic.data
    if diagnostic.source != SOURCE or not isinstance(data, dict):
        return None
    code, start, end = data.get("code"), data.get("start"), data.get("end")
    if isinstance(code, str) and isinstance(start, int) and isinstance(end, int):
        return (code, start, end)
    return None


def requested(
    session: Session, doc: Document, findings: list[Finding], params: t.CodeActionParams
) -> list[tuple[Finding, t.Diagnostic | None]]:
    """The findings a code action request is about, in file order, each with the client's
    diagnostic for it when the request named it: those the request's diagnostics name through
    their ``data``, and those on the lines the range touches, wherever the cursor is on them
    (Neovim and Eglot send the cursor as an empty range at column 0 or at the end of the line).
    """
    named: dict[tuple[str, int, int], t.Diagnostic] = {}
    for diagnostic in params.context.diagnostics:
        key = _data_key(diagnostic)
        if key is not None:
            named[key] = diagnostic
    rng = params.range
    first, last = sorted((rng.start.line, rng.end.line))
    if last > first and (rng.end if rng.end.line == last else rng.start).character == 0:
        last -= 1  # a selection of whole lines ends at column 0 of the next one
    chosen = []
    for finding in findings:
        key = (finding.code, finding.start, finding.end)
        start_line = doc.position_at(finding.start, session.encoding)[0]
        end_line = doc.position_at(finding.end, session.encoding)[0]
        if key in named or (start_line <= last and end_line >= first):
            chosen.append((finding, named.get(key)))
    return chosen


def register(server: MpgServer) -> None:
    @server.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def code_action(ls: MpgServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        session = ls.session
        doc = session.document(params.text_document.uri)
        if doc is None or not session.in_sync(doc.path):
            return None
        path = doc.path
        root = session.engine.root_of(path)
        if root is None:
            return None
        # a fix may edit a file that is not open (mix.exs): compute it on that file as it is
        # now, even if no watched-files event said it changed
        changed = session.engine.ws.changed_on_disk()
        if changed:
            session.engine.files_changed(changed)
        findings = findings_by_path(session, root).get(path, [])
        only = params.context.only
        actions: list[t.CodeAction] = []
        if _wanted(only, t.CodeActionKind.QuickFix):
            for finding, named in requested(session, doc, findings, params):
                diagnostic = named or to_diagnostic(finding, doc, session)
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
