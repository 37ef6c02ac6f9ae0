"""Diagnostics: findings to LSP, published (push) or answered (pull) per the client's support.

After any change, the changed document is published with its version, and every other open
document of the same project is republished when its diagnostics changed (fly.toml's MPG301
depends on the variable runtime.exs reads, for example).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict

from lsprotocol import types as t

from mpg_lsp.engine import PROJECT_SETTINGS
from mpg_lsp.lsp.positions import path_of, to_range
from mpg_lsp.lsp.server import MpgServer
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


def to_diagnostic(finding: Finding, doc: Document, server: MpgServer) -> t.Diagnostic:
    rule = REGISTRY[finding.code]
    return t.Diagnostic(
        range=to_range(doc, finding.start, finding.end, server.encoding),
        message=finding.message,
        severity=_SEVERITY.get(finding.severity, t.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=t.CodeDescription(href=rule.url),
        source=SOURCE,
        tags=[_TAGS[tag] for tag in finding.tags if tag in _TAGS] or None,
        data={"code": finding.code, "start": finding.start, "end": finding.end},
    )


def findings_by_path(server: MpgServer, root: str) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    try:
        for finding in server.engine.findings(root):
            grouped[finding.path].append(finding)
    except Exception:
        log.exception("checking %s failed; publishing nothing for it", root)
    return grouped


def settings_diagnostics(server: MpgServer, root: str, doc: Document) -> list[t.Diagnostic]:
    """Bad values in .mpg-lsp.toml, at the key that holds them (the default is used)."""
    _, problems = server.engine.settings(root)
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
                range=to_range(doc, start, end, server.encoding),
                message=problem.message,
                severity=t.DiagnosticSeverity.Warning,
                source=SOURCE,
            )
        )
    return out


def document_diagnostics(
    server: MpgServer, root: str, doc: Document, grouped: dict[str, list[Finding]]
) -> list[t.Diagnostic]:
    diags = [to_diagnostic(f, doc, server) for f in grouped.get(doc.path, [])]
    if os.path.basename(doc.path) == PROJECT_SETTINGS:
        diags += settings_diagnostics(server, root, doc)
    return diags


def diagnostics_for(server: MpgServer, uri: str) -> list[t.Diagnostic]:
    doc = server.docs.get(uri)
    path = path_of(uri)
    if doc is None or path is None:
        return []
    root = server.engine.root_of(path)
    if root is None:
        return []
    return document_diagnostics(server, root, doc, findings_by_path(server, root))


def refresh(server: MpgServer, changed_uri: str | None = None) -> None:
    """Recheck the projects of open documents and publish what changed."""
    roots: dict[str, list[str]] = defaultdict(list)
    for uri in list(server.docs):
        path = path_of(uri)
        root = server.engine.root_of(path) if path else None
        if root is not None:
            roots[root].append(uri)
        elif uri == changed_uri:
            _publish(server, uri, [], force=True)
    changed_root = None
    if changed_uri is not None:
        path = path_of(changed_uri)
        changed_root = server.engine.root_of(path) if path else None
    for root, uris in roots.items():
        if changed_uri is not None and changed_root is not None and root != changed_root:
            continue
        grouped = findings_by_path(server, root)
        stale = []
        for uri in uris:
            doc = server.docs[uri]
            diags = document_diagnostics(server, root, doc, grouped)
            if server.pull_mode:
                key = tuple(
                    (d.code, d.range.start.line, d.range.start.character, d.message) for d in diags
                )
                if server.published.get(uri) != key and uri != changed_uri:
                    stale.append(uri)
                server.published[uri] = key
            else:
                _publish(server, uri, diags, force=uri == changed_uri)
        if stale:
            _request_pull(server)
    report_problems(server)


def report_problems(server: MpgServer) -> None:
    for root in list(server.engine.projects):
        _, problems = server.engine.settings(root)
        for problem in problems:
            if (
                problem.source == PROJECT_SETTINGS
                and os.path.join(root, PROJECT_SETTINGS) in server.engine.ws.open_docs
            ):
                continue  # shown as a diagnostic where it is written
            # the editor's settings are one for every project: say it once
            key = (
                root if problem.source == PROJECT_SETTINGS else "",
                problem.source,
                problem.message,
            )
            if key in server.reported:
                continue
            server.reported.add(key)
            server.window_show_message(
                t.ShowMessageParams(
                    type=t.MessageType.Warning,
                    message=f"mpg-lsp: {problem.source}: {problem.message}",
                )
            )


def _publish(server: MpgServer, uri: str, diags: list[t.Diagnostic], force: bool) -> None:
    doc = server.docs.get(uri)
    version = doc.version if doc is not None else None
    key = tuple((d.code, d.range, d.message, d.severity) for d in diags)
    if not force and server.published.get(uri) == key:
        return
    server.published[uri] = key
    server.text_document_publish_diagnostics(
        t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version)
    )


def _request_pull(server: MpgServer) -> None:
    caps = server.client_capabilities.workspace
    if caps is not None and caps.diagnostics is not None and caps.diagnostics.refresh_support:
        server.workspace_diagnostic_refresh(None)


def clear(server: MpgServer, uri: str) -> None:
    server.published.pop(uri, None)
    if not server.pull_mode:
        server.text_document_publish_diagnostics(
            t.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def register(server: MpgServer) -> None:
    @server.feature(
        t.TEXT_DOCUMENT_DIAGNOSTIC,
        t.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    def pull(ls: MpgServer, params: t.DocumentDiagnosticParams) -> t.DocumentDiagnosticReport:
        return t.RelatedFullDocumentDiagnosticReport(
            items=diagnostics_for(ls, params.text_document.uri)
        )
