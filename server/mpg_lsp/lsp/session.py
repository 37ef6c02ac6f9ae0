"""The session: the one owner of the server's state (ruff's server calls it the same).

Every feature module reads and changes state through the session, never through pygls:

- **open documents**: one map, by path (the key every URI is normalised to, in ``key``),
  which is also the map the engine's workspace reads editor buffers from; the session is the
  only code that adds or removes a document;
- **the client**: its capabilities, the negotiated position encoding, whether it pulls
  diagnostics, and its workspace folders;
- **what was last published** (or answered, for pulled diagnostics) per URI, with the
  document version it was for, so unchanged diagnostics are not sent again and an older
  version's never follow a newer one's; which files of each project the client was shown
  problems for (to clear them when they have none, or leave the project); the result id of
  each URI's last pulled report;
- **the projects of the workspace folders**, found once and again when a mix.exs comes or
  goes;
- **the editor's settings**: the default and one per workspace folder, with a generation
  counter that moves on every change (the engine's settings cache is keyed on it).

A message from the editor goes: ``protocol`` (JSON-RPC checks) -> ``documents`` (didOpen,
didChange: the session's document changes) -> ``diagnostics`` (findings of the project,
published through the session's record of what the client has) -> the client.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any, Literal, cast
from urllib.parse import unquote

from lsprotocol import types as t

from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.lsp.positions import path_of, uri_of
from mpg_lsp.records import record
from mpg_lsp.syntax.document import Document, Encoding

Fingerprint = tuple[tuple[Any, ...], ...]
Scope = Literal["project", "open"]


def fingerprint(diagnostics: list[t.Diagnostic]) -> Fingerprint:
    """What decides whether the client already has these diagnostics."""
    return tuple((d.code, d.range, d.message, d.severity) for d in diagnostics)


@record(frozen=True)
class Sent:
    """What the client was last given for a URI: for the document version (None: the file on
    disk), these diagnostics."""

    version: int | None
    diagnostics: Fingerprint


MAX_FOLDERS_WALKED = 5000  # looking for projects in a workspace folder (a home folder...)


class Session:
    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or Engine()
        self.capabilities = t.ClientCapabilities()
        self.encoding: Encoding = "utf-16"
        self.pull = False  # the client pulls document diagnostics (and can be told to again)
        self.code_in_message = False  # the client shows no diagnostic code: say it in the text
        self.folders: list[str] = []  # workspace folders, as paths
        self.settings_generation = 0
        self.published: dict[str, Sent] = {}  # uri -> what the client last received
        self.shown: dict[str, set[str]] = {}  # project root -> URIs given problems for it
        self._result_ids: dict[str, tuple[Fingerprint, str]] = {}
        self._next_result_id = 0
        self._projects: list[str] | None = None  # of the workspace folders, found lazily
        self.changes = 0  # moves on every change that can alter diagnostics (each refresh)
        # the last answer to workspace/diagnostic, by URI, and the `changes` it was made at:
        # VS Code asks again every 2 s, and nothing needs checking while nothing changed
        self.workspace_reports: tuple[int, dict[str, tuple[int | None, list[t.Diagnostic]]]]
        self.workspace_reports = (-1, {})
        self.reported: set[tuple[str, str, str]] = set()  # settings problems shown once
        self._uris: dict[str, str] = {}  # path of an open document -> the URI the client used
        # open documents whose text may differ from the editor's (a change that did not
        # validate was dropped): no diagnostics, no edits, until reopened or sent whole
        self._unsynced: set[str] = set()

    # -- the client ---------------------------------------------------------------------

    def initialize(self, params: t.InitializeParams, encoding: Any) -> None:
        """Take what ``initialize`` says about the client; ``encoding`` is the one pygls
        negotiated (and announced in the server's capabilities)."""
        self.capabilities = params.capabilities
        raw = getattr(encoding, "value", encoding) or "utf-16"
        self.encoding = cast(Encoding, raw) if raw in ("utf-8", "utf-32") else "utf-16"
        # Pull diagnostics only for clients that can also be told to pull again when another
        # file's change alters a document's diagnostics; everyone else gets them pushed.
        doc_caps = self.capabilities.text_document
        self.pull = bool(doc_caps is not None and doc_caps.diagnostic is not None and self.refresh)
        self.code_in_message = _hides_codes(params.client_info)
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        elif not folders and params.root_path:
            folders = [uri_of(params.root_path)]
        self.folders = [p for p in (key(uri) for uri in folders) if p is not None]
        self._projects = None

    @property
    def refresh(self) -> bool:
        """The client can be asked to pull diagnostics again (workspace/diagnostic/refresh)."""
        ws = self.capabilities.workspace
        return bool(
            ws is not None and ws.diagnostics is not None and ws.diagnostics.refresh_support
        )

    @property
    def watches(self) -> bool:
        """The client tells us about files changing on disk (Neovim on Linux does not)."""
        ws = self.capabilities.workspace
        watch = ws.did_change_watched_files if ws is not None else None
        return bool(watch is not None and watch.dynamic_registration)

    @property
    def configuration(self) -> bool:
        ws = self.capabilities.workspace
        return bool(ws is not None and ws.configuration)

    @property
    def versioned_edits(self) -> bool:
        ws = self.capabilities.workspace
        return bool(ws is not None and ws.workspace_edit and ws.workspace_edit.document_changes)

    def change_folders(self, added: list[str], removed: list[str]) -> None:
        gone = {key(uri) for uri in removed}
        self.folders = [f for f in self.folders if f not in gone]
        for path in (key(uri) for uri in added):
            if path is not None and path not in self.folders:
                self.folders.append(path)
        self._projects = None

    # -- open documents -----------------------------------------------------------------

    @property
    def _docs(self) -> dict[str, Document]:
        return self.engine.ws.open_docs

    def open(self, uri: str, text: bytes, version: int | None) -> Document | None:
        """The client opened ``uri``: it is read from this text until it is closed. None for a
        file mpg-lsp does not read."""
        path = key(uri)
        if path is None:
            return None
        doc = self.engine.ws.open(path, text, version)
        self._unsynced.discard(path)
        if doc is not None:
            self._uris[path] = uri
            self.published.pop(uri, None)
        return doc

    def close(self, uri: str) -> Document | None:
        """The document is read from disk again; the closed buffer, or None if not open."""
        path = key(uri)
        if path is None or path not in self._docs:
            return None
        self._uris.pop(path, None)
        self._unsynced.discard(path)
        doc = self._docs[path]
        self.engine.ws.close(path)
        return doc

    def document(self, uri: str) -> Document | None:
        """The open document at ``uri``."""
        path = key(uri)
        return self._docs.get(path) if path is not None else None

    def is_open(self, path: str) -> bool:
        return path in self._docs

    def unsynced(self, uri: str) -> bool:
        """The open document at ``uri`` no longer holds the editor's text: a change was lost.
        Marked so; False when it is not open."""
        path = key(uri)
        if path is None or path not in self._docs:
            return False
        self._unsynced.add(path)
        return True

    def resynced(self, path: str) -> None:
        """The editor sent the whole text again."""
        self._unsynced.discard(path)

    def in_sync(self, path: str) -> bool:
        """Whether edits and diagnostics may be computed on this file's text."""
        return path not in self._unsynced

    def documents(self) -> Iterator[tuple[str, Document]]:
        """(uri, document) of every open document."""
        for path, doc in list(self._docs.items()):
            yield self.uri(path), doc

    def uri(self, path: str) -> str:
        """The URI the client knows ``path`` by."""
        return self._uris.get(path) or uri_of(path)

    # -- projects -----------------------------------------------------------------------

    def workspace_projects(self) -> list[str]:
        """Project roots inside the workspace folders (umbrellas once, several apps of one
        repository each)."""
        if self._projects is None:
            found: list[str] = []
            for folder in self.folders:
                for root in discover_projects(folder, self.engine.fs, limit=MAX_FOLDERS_WALKED):
                    if root not in found:
                        found.append(root)
            self._projects = found
        return self._projects

    def projects_changed(self) -> None:
        """A mix.exs came or went, or the workspace folders changed: find them again."""
        self._projects = None

    def scope(self, root: str) -> Scope:
        """Whose diagnostics the client sees for this project: every file's, or the open
        documents' only (the `diagnostics-scope` setting)."""
        return "open" if self.engine.settings(root)[0].diagnostics_scope == "open" else "project"

    def result_id(self, uri: str, diagnostics: list[t.Diagnostic]) -> str:
        """The id of this report: the same as last time for the same diagnostics."""
        fp = fingerprint(diagnostics)
        last = self._result_ids.get(uri)
        if last is not None and last[0] == fp:
            return last[1]
        self._next_result_id += 1
        result_id = str(self._next_result_id)
        self._result_ids[uri] = (fp, result_id)
        return result_id

    # -- settings -----------------------------------------------------------------------

    def configure(
        self, default: Mapping[str, Any], by_folder: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        """The editor's settings changed: ``default`` for every project, or the setting of the
        workspace folder (a path) a project is in."""
        self.settings_generation += 1
        self.engine.configure(default, by_folder or {}, self.settings_generation)


def _hides_codes(client: t.ClientInfo | None) -> bool:
    """Neovim before 0.10 shows a diagnostic's message and source but never its code."""
    if client is None or client.name != "Neovim" or not client.version:
        return False
    parts = client.version.lstrip("v").split(".")
    try:
        return (int(parts[0]), int(parts[1])) < (0, 10)
    except (ValueError, IndexError):
        return False


def key(uri: str) -> str | None:
    """The one normalisation of a client's URI: the file's path (None for non-file URIs).

    ``FILE:``, ``file://localhost/``, percent-encoded characters and ``.``/``..`` segments all
    name the same file, so one file is one document, with one set of diagnostics and one
    version, however the client spells it.
    """
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() != "file":
        return None
    if rest.startswith("//"):
        host, _, tail = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            return path_of(f"file:{rest}")  # a share on another host, as pygls reads it
        rest = f"/{tail}"
    if os.name == "nt":  # pragma: no cover  (drive letters: pygls knows them)
        return path_of(f"file://{rest}")
    path = unquote(rest, errors="surrogateescape")
    if not path.startswith("/"):
        return None
    return "/" + posixpath.normpath(path).lstrip("/")
