"""Diagnostics: findings to LSP, published (push) or answered (pull) per the client's support.

After any change (``documents`` calls ``refresh``), the changed document is published with its
version, and every other open document of the same project is republished when its
diagnostics changed (fly.toml's MPG301 depends on the variable runtime.exs reads, for
example). What the client last received per URI is kept by the session; this module decides
what to send and sends it.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict

from lsprotocol import types as t

from mpg_lsp.engine import PROJECT_SETTINGS
from mpg_lsp.lsp.positions import to_range
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import Sent, Session, fingerprint, key
from mpg_lsp.rules import REGISTRY, Finding
from mpg_lsp.syntax import toml as tm
from mpg_lsp.syntax.document import Document

log = logging.getLogger(__name__)

SOURCE = "mpg-lsp"
_SEVERITY = {
    "error": t.DiagnosticSeverity.Error,
    "warning": t.DiagnosticSeverity.Warning,
    "information": t.DiagnosticSeverity.Information,
    "hint": t.DiagnosticSeverity.Hint,
}
_TAGS = {"deprecated": t.DiagnosticTag.Deprecated, "unnecessary": t.DiagnosticTag.Unnecessary}


def to_diagnostic(finding: Finding, doc: Document, session: Session) -> t.Diagnostic:
    rule = REGISTRY[finding.code]
    return t.Diagnostic(
        range=to_range(doc, finding.start, finding.end, session.encoding),
        message=f"{finding.code}: {finding.message}"
        if session.code_in_message
        else finding.message,
        severity=_SEVERITY.get(finding.severity, t.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=t.CodeDescription(href=rule.url),
        source=SOURCE,
        tags=[_TAGS[tag] for tag in finding.tags if tag in _TAGS] or None,
        data={"code": finding.code, "start": finding.start, "end": finding.end},
    )


def findings_by_path(session: Session, root: str) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    try:
        for finding in session.engine.findings(root):
            grouped[finding.path].append(finding)
    except Exception:
        log.exception("checking %s failed; publishing nothing for it", root)
    return grouped


def settings_diagnostics(session: Session, root: str, doc: Document) -> list[t.Diagnostic]:
    """Bad values in .mpg-lsp.toml, at the key that holds them (the default is used); a file
    that is not TOML, at the line where it stops being TOML."""
    _, problems = session.engine.settings(root)
    keys: dict[str, tuple[int, int]] = {}
    for node in doc.tree.root_node.named_children:
        parts = tm.pair_parts(node) if node.type == tm.PAIR else None
        if parts is not None:
            keys[tm.key_text(parts[0])] = (node.start_byte, node.end_byte)
    out = []
    for problem in problems:
        if problem.source != PROJECT_SETTINGS:
            continue
        start, end = keys.get(problem.key, (0, 0))
        if problem.line is not None and 0 <= problem.line < len(doc.lines):
            # not TOML: the line where reading stopped (its message says which)
            start, end = doc.lines.line_bounds(problem.line, doc.text)
        out.append(
            t.Diagnostic(
                range=to_range(doc, start, end, session.encoding),
                message=problem.message,
                severity=t.DiagnosticSeverity.Warning,
                source=SOURCE,
            )
        )
    return out


def document_diagnostics(
    session: Session, root: str, doc: Document, grouped: dict[str, list[Finding]]
) -> list[t.Diagnostic]:
    diags = [to_diagnostic(f, doc, session) for f in grouped.get(doc.path, [])]
    if os.path.basename(doc.path) == PROJECT_SETTINGS:
        diags += settings_diagnostics(session, root, doc)
    return diags


def diagnostics_for(session: Session, uri: str) -> list[t.Diagnostic]:
    doc = session.document(uri)
    if doc is None:
        return []
    root = session.engine.root_of(doc.path)
    if root is None:
        return []
    return document_diagnostics(session, root, doc, findings_by_path(session, root))


# -- what the client should see -------------------------------------------------------------

Report = tuple[int | None, list[t.Diagnostic]]  # for a URI: the document version (None: the
# file on disk) and its diagnostics


def _projects(
    session: Session, only_uri: str | None = None
) -> dict[str, list[tuple[str, Document]]]:
    """Project roots with their open documents: the projects of open documents and of the
    workspace folders, or only the project of ``only_uri``."""
    roots: dict[str, list[tuple[str, Document]]] = defaultdict(list)
    for uri, doc in session.documents():
        root = session.engine.root_of(doc.path)
        if root is not None:
            roots[root].append((uri, doc))
    for root in session.workspace_projects():
        roots.setdefault(root, [])
    if only_uri is not None:
        path = key(only_uri)
        only = session.engine.root_of(path) if path else None
        if only is not None:
            return {only: roots.get(only, [])}
    return roots


def project_reports(
    session: Session, root: str, open_docs: list[tuple[str, Document]]
) -> dict[str, Report]:
    """What the client should see now for the project's files: its open documents, in
    project scope every file with problems, and an empty report for each file it was shown
    problems for that has none any more (fixed, deleted, or no longer read)."""
    grouped = findings_by_path(session, root)
    reports: dict[str, Report] = {
        uri: (
            doc.version,
            document_diagnostics(session, root, doc, grouped) if session.in_sync(doc.path) else [],
        )
        for uri, doc in open_docs
    }
    if session.scope(root) == "project":
        for path, findings in grouped.items():
            doc = None if session.is_open(path) else session.engine.ws.get(path)
            if doc is not None:
                reports[session.uri(path)] = (
                    None,
                    [to_diagnostic(f, doc, session) for f in findings],
                )
    for uri in session.shown.get(root, ()):
        reports.setdefault(uri, (None, []))
    return reports


def refresh(server: MpgServer, changed_uri: str | None = None) -> None:
    """Recheck the projects (only the changed document's, when one changed) and give the
    client what changed: published, or for clients that pull, a request to pull again."""
    session = server.session
    session.changes += 1
    projects = _projects(session, changed_uri)
    for root, open_docs in projects.items():
        _deliver(server, root, project_reports(session, root, open_docs), changed_uri)
    if changed_uri is None:
        for root in [r for r in session.shown if r not in projects]:  # a project that is gone
            gone = {uri: _nothing(session, uri) for uri in session.shown[root]}
            _deliver(server, root, gone, changed_uri)
            del session.shown[root]
    elif session.document(changed_uri) is not None and not any(
        uri == changed_uri for docs in projects.values() for uri, _ in docs
    ):  # an open file outside every project: nothing to say about it
        _deliver(server, "", {changed_uri: _nothing(session, changed_uri)}, changed_uri)
    report_problems(server)


def _nothing(session: Session, uri: str) -> Report:
    doc = session.document(uri)
    return (doc.version if doc is not None else None, [])


def closed(server: MpgServer, uri: str, path: str) -> None:
    """The document was closed (or dropped): the next ``refresh`` gives the client the file's
    problems on disk when the project shows every file's, or clears them."""
    session = server.session
    session.published.pop(uri, None)
    root = session.engine.root_of(path)
    session.shown.setdefault(root if root is not None else "", set()).add(uri)


def _deliver(
    server: MpgServer, root: str, reports: dict[str, Report], changed_uri: str | None
) -> None:
    """Publish each report the client does not have yet, at most once, never one for an
    older document version than the last; to clients that pull, say they should pull again
    when a report other than the changed document's own changed."""
    session = server.session
    stale = False
    for uri, (version, diags) in reports.items():
        sent = Sent(version, fingerprint(diags))
        last = session.published.get(uri)
        if last == sent:
            continue
        doc = session.document(uri)
        current = doc.version if doc is not None else None
        if version != current:
            continue  # computed for a text the client no longer has; a later check will do
        if session.pull:
            stale = stale or uri != changed_uri
        elif last is not None and version is not None and (last.version or 0) > version:
            continue  # never an older version's diagnostics after a newer one's
        else:
            server.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version)
            )
        session.published[uri] = sent
    shown = {uri for uri, (_, diags) in reports.items() if diags}
    if shown:
        session.shown[root] = shown
    else:
        session.shown.pop(root, None)
    if stale and session.refresh:
        server.workspace_diagnostic_refresh(None)


def report_problems(server: MpgServer) -> None:
    session = server.session
    for root in list(session.engine.projects):
        _, problems = session.engine.settings(root)
        for problem in problems:
            if problem.source == PROJECT_SETTINGS and session.is_open(
                os.path.join(root, PROJECT_SETTINGS)
            ):
                continue  # shown as a diagnostic where it is written
            # the editor's settings are one for every project: say it once
            key = (
                root if problem.source == PROJECT_SETTINGS else "",
                problem.source,
                problem.message,
            )
            if key in session.reported:
                continue
            session.reported.add(key)
            server.window_show_message(
                t.ShowMessageParams(
                    type=t.MessageType.Warning,
                    message=f"mpg-lsp: {problem.source}: {problem.message}",
                )
            )


def register_pull(server: MpgServer) -> None:
    """Pull diagnostics, registered during ``initialize`` for clients that pull: each open
    document's, and the workspace's (every project's files), with result ids so an unchanged
    report is answered as unchanged."""

    @server.feature(
        t.TEXT_DOCUMENT_DIAGNOSTIC,
        t.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    def pull(ls: MpgServer, params: t.DocumentDiagnosticParams) -> t.DocumentDiagnosticReport:
        uri = params.text_document.uri
        diags = diagnostics_for(ls.session, uri)
        result_id = ls.session.result_id(uri, diags)
        if params.previous_result_id == result_id:
            return t.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return t.RelatedFullDocumentDiagnosticReport(items=diags, result_id=result_id)

    @server.feature(t.WORKSPACE_DIAGNOSTIC)
    def workspace_pull(
        ls: MpgServer, params: t.WorkspaceDiagnosticParams
    ) -> t.WorkspaceDiagnosticReport:
        session = ls.session
        previous = {p.uri: p.value for p in params.previous_result_ids}
        checked_at, reports = session.workspace_reports
        if checked_at != session.changes:
            reports = {}
            for root, open_docs in _projects(session).items():
                reports.update(project_reports(session, root, open_docs))
            session.workspace_reports = (session.changes, reports)
        reports = dict(reports)
        for uri in previous:
            reports.setdefault(uri, _nothing(session, uri))
        items: list[t.WorkspaceDocumentDiagnosticReport] = []
        for uri, (version, diags) in reports.items():
            result_id = session.result_id(uri, diags)
            if previous.get(uri) == result_id:
                items.append(
                    t.WorkspaceUnchangedDocumentDiagnosticReport(
                        uri=uri, version=version, result_id=result_id
                    )
                )
            else:
                items.append(
                    t.WorkspaceFullDocumentDiagnosticReport(
                        uri=uri, version=version, items=diags, result_id=result_id
                    )
                )
        return t.WorkspaceDiagnosticReport(items=items)
