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
from mpg_lsp.lsp.positions import path_of, to_range
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import Session, fingerprint
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
        message=finding.message,
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
    """Bad values in .mpg-lsp.toml, at the key that holds them (the default is used)."""
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


def refresh(server: MpgServer, changed_uri: str | None = None) -> None:
    """Recheck the projects of open documents and publish what changed."""
    session = server.session
    roots: dict[str, list[tuple[str, Document]]] = defaultdict(list)
    for uri, doc in session.documents():
        root = session.engine.root_of(doc.path)
        if root is not None:
            roots[root].append((uri, doc))
        elif uri == changed_uri:
            _publish(server, uri, [], force=True)
    changed_root = None
    if changed_uri is not None:
        path = path_of(changed_uri)
        changed_root = session.engine.root_of(path) if path else None
    for root, docs in roots.items():
        if changed_uri is not None and changed_root is not None and root != changed_root:
            continue
        grouped = findings_by_path(session, root)
        stale = []
        for uri, doc in docs:
            diags = document_diagnostics(session, root, doc, grouped)
            if session.pull:
                key = fingerprint(diags)
                if session.published.get(uri) != key and uri != changed_uri:
                    stale.append(uri)
                session.published[uri] = key
            else:
                _publish(server, uri, diags, force=uri == changed_uri)
        if stale:
            _request_pull(server)
    report_problems(server)


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


def _publish(server: MpgServer, uri: str, diags: list[t.Diagnostic], force: bool) -> None:
    session = server.session
    doc = session.document(uri)
    version = doc.version if doc is not None else None
    key = fingerprint(diags)
    if not force and session.published.get(uri) == key:
        return
    session.published[uri] = key
    server.text_document_publish_diagnostics(
        t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version)
    )


def _request_pull(server: MpgServer) -> None:
    if server.session.refresh:
        server.workspace_diagnostic_refresh(None)


def clear(server: MpgServer, uri: str) -> None:
    server.session.published.pop(uri, None)
    if not server.session.pull:
        server.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def register_pull(server: MpgServer) -> None:
    """Document pull diagnostics, registered during ``initialize`` for clients that pull."""

    @server.feature(
        t.TEXT_DOCUMENT_DIAGNOSTIC,
        t.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    def pull(ls: MpgServer, params: t.DocumentDiagnosticParams) -> t.DocumentDiagnosticReport:
        return t.RelatedFullDocumentDiagnosticReport(
            items=diagnostics_for(ls.session, params.text_document.uri)
        )
