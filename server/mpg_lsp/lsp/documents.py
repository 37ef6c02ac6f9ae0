"""Text synchronisation: the editor's buffers into the session's documents, and files watched
on disk into the engine's workspace. Each handler changes the session, then asks
``diagnostics`` to publish what changed (step three of didOpen/didChange -> diagnostics)."""

from __future__ import annotations

import logging
import os

from lsprotocol import types as t

from mpg_lsp.lsp import diagnostics
from mpg_lsp.lsp.positions import to_offsets, uri_of
from mpg_lsp.lsp.protocol import MpgProtocol
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import key
from mpg_lsp.project.filesystem import MAX_FILE_BYTES

log = logging.getLogger(__name__)

WATCHED = [
    "**/config/**/*.exs",
    "**/mix.exs",
    "**/mix.lock",
    "**/fly*.toml",
    "**/deploy/**/*.toml",
    "**/fly.io/**/*.toml",
    "**/.mpg-lsp.toml",
    "**/lib/**/*.ex",
    "**/rel/**",
    "**/priv/*/migrations/*.exs",
    "**/Dockerfile",
    "**/Makefile",
    "**/justfile",
    "**/bin/*",
    "**/scripts/*",
    "**/.github/workflows/*.{yml,yaml}",
]


def _bytes(text: str) -> bytes:
    # JSON may carry lone surrogates; keep them rather than failing the whole change.
    return text.encode("utf-8", "surrogatepass")


def _too_big(ls: MpgServer, uri: str, size: int) -> bool:
    """A buffer over the size limit of files on disk is no config file: parsing 20 MB of
    binary takes tree-sitter most of a minute, and the server would answer nothing meanwhile.
    It is dropped (read from disk, where the same limit applies) until it is opened again."""
    if size <= MAX_FILE_BYTES:
        return False
    log.warning(
        "not reading %s: %d bytes, over the %d-byte limit for config files",
        uri,
        size,
        MAX_FILE_BYTES,
    )
    doc = ls.session.close(uri)
    if doc is not None:
        diagnostics.closed(ls, uri, doc.path)
        diagnostics.refresh(ls)
    return True


def _changed_on_disk(ls: MpgServer) -> bool:
    """For clients that do not watch files: whether files read from disk changed (they are
    then read again)."""
    if ls.session.watches:
        return False
    changed = ls.session.engine.ws.changed_on_disk()
    if changed:
        ls.session.engine.files_changed(changed)
    return bool(changed)


def out_of_sync(ls: MpgServer, uri: str) -> None:
    """A didChange for ``uri`` did not validate and was dropped: the server's text is no longer
    the editor's. Its diagnostics are cleared and no edit is offered for it until the editor
    reopens it or sends its whole text."""
    if not ls.session.unsynced(uri):
        return
    log.error(
        "%s: a change that does not validate was dropped; the document is out of sync (no"
        " diagnostics or fixes for it) until it is reopened or its whole text is sent",
        key(uri),
    )
    path = key(uri)
    diagnostics.refresh(ls, ls.session.uri(path) if path else uri)


def register(server: MpgServer) -> None:
    if isinstance(server.protocol, MpgProtocol):
        server.protocol.on_bad_change = lambda uri: out_of_sync(server, uri)

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MpgServer, params: t.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        if key(item.uri) is None:
            return
        text = _bytes(item.text)
        if _too_big(ls, item.uri, len(text)):
            return
        if ls.session.open(item.uri, text, item.version) is None:
            return  # not a file mpg-lsp reads
        diagnostics.refresh(ls, None if _changed_on_disk(ls) else item.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MpgServer, params: t.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.session.document(uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s", uri)
            return
        changes = list(params.content_changes)
        if not ls.session.in_sync(doc.path):
            # only the whole text brings it back: changes to a text we do not have are lost
            whole = [
                i
                for i, c in enumerate(changes)
                if not isinstance(c, t.TextDocumentContentChangePartial)
            ]
            if not whole:
                return
            changes = changes[whole[-1] :]
            ls.session.resynced(doc.path)
            log.info("%s: the whole text was sent again; in sync with the editor", uri)
        encoding = ls.session.encoding
        # Changes queued behind each other arrive as one (protocol.Inbox): applied to a mutable
        # copy of the text, parsed once when the check asks for the tree.
        batch = len(changes) > 1
        if batch:
            doc.begin_batch()
        try:
            for change in changes:
                new = _bytes(change.text)
                if isinstance(change, t.TextDocumentContentChangePartial):
                    start, end = to_offsets(doc, change.range, encoding)
                    if _too_big(ls, uri, len(doc.text) - (end - start) + len(new)):
                        return
                    doc.edit(start, end, new)
                else:
                    if _too_big(ls, uri, len(new)):
                        return
                    doc.replace_all(new)
                    if batch:
                        doc.begin_batch()
        finally:
            doc.end_batch()
        doc.version = params.text_document.version
        if ls.change_queued(uri):
            # the rest of a burst arrived meanwhile: its change checks and publishes, for the
            # newest version, instead of this one's diagnostics going out stale
            return
        ls.check_sync(uri)
        diagnostics.refresh(ls, ls.session.uri(doc.path))  # as the client opened it

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE, t.SaveOptions(include_text=False))
    def did_save(ls: MpgServer, params: t.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.session.document(uri)
        if doc is not None and params.text is not None:
            text = _bytes(params.text)
            if _too_big(ls, uri, len(text)):
                return
            doc.replace_all(text, doc.version)
        # a save is when a client that watches no files may have changed others on disk
        # (`mpg-lsp fix`, another editor): look, and recheck every project if so
        canonical = ls.session.uri(doc.path) if doc is not None else uri
        diagnostics.refresh(ls, None if _changed_on_disk(ls) else canonical)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MpgServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.session.close(uri)
        if doc is None:
            return
        diagnostics.closed(ls, uri, doc.path)
        diagnostics.refresh(ls)  # other files may have read the buffer's unsaved text

    @server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: MpgServer, params: t.DidChangeWatchedFilesParams) -> None:
        paths = [p for p in (key(c.uri) for c in params.changes) if p]
        paths = [p for p in paths if not _ignored(ls, p)]
        if not paths:
            return
        ls.session.engine.files_changed(paths)
        if any(os.path.basename(p) == "mix.exs" for p in paths):
            ls.session.projects_changed()  # a project may have come or gone
        diagnostics.refresh(ls)


# Where a project sits in a workspace folder: the folder itself, an umbrella's app, one of
# several apps side by side, or an umbrella beside them. Watching these places, rather than
# `**/`, leaves out deps/, _build/ and node_modules/ (a `mix deps.get` is thousands of files).
PLACES = ("", "apps/*/", "*/", "*/apps/*/")
NOT_WATCHED = frozenset({"deps", "_build", "node_modules"})
REGISTRATION = "mpg-lsp-watched-files"


def _watchers(ls: MpgServer) -> list[t.FileSystemWatcher]:
    session = ls.session
    caps = session.capabilities.workspace
    watch = caps.did_change_watched_files if caps is not None else None
    if watch is None or not watch.relative_pattern_support or not session.folders:
        return [t.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
    return [
        t.FileSystemWatcher(
            glob_pattern=t.RelativePattern(
                base_uri=uri_of(folder), pattern=place + g.removeprefix("**/")
            )
        )
        for folder in session.folders
        for place in PLACES
        for g in WATCHED
    ]


def _ignored(ls: MpgServer, path: str) -> bool:
    """A file under deps/, _build/ or node_modules/ (below the workspace folder): events for
    them come from clients that watch `**/` patterns."""
    inside = next((f for f in ls.session.folders if path.startswith(f.rstrip(os.sep) + os.sep)), "")
    return not NOT_WATCHED.isdisjoint(path[len(inside) :].split(os.sep)[:-1])


def register_watchers(ls: MpgServer, again: bool = False) -> None:
    """Ask the client to tell us about project files changing on disk, when it can (``again``
    when the workspace folders changed: the old watchers go)."""
    if not ls.session.watches:
        return
    if again:
        ls.client_unregister_capability(
            t.UnregistrationParams(
                unregisterations=[
                    t.Unregistration(id=REGISTRATION, method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
                ]
            )
        )
    ls.client_register_capability(
        t.RegistrationParams(
            registrations=[
                t.Registration(
                    id=REGISTRATION,
                    method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=t.DidChangeWatchedFilesRegistrationOptions(
                        watchers=_watchers(ls)
                    ),
                )
            ]
        )
    )
