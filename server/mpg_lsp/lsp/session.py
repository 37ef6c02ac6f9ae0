"""The session: the one owner of the server's state (ruff's server calls it the same).

Every feature module reads and changes state through the session, never through pygls:

- **open documents**: one map, by path (the key every URI is normalised to, in ``key``),
  which is also the map the engine's workspace reads editor buffers from; the session is the
  only code that adds or removes a document;
- **the client**: its capabilities, the negotiated position encoding, whether it pulls
  diagnostics, and its workspace folders;
- **what was last published** (or answered, for pulled diagnostics) per URI, so unchanged
  diagnostics are not sent again;
- **the editor's settings**: the default and one per workspace folder, with a generation
  counter that moves on every change (the engine's settings cache is keyed on it).

A message from the editor goes: ``protocol`` (JSON-RPC checks) -> ``documents`` (didOpen,
didChange: the session's document changes) -> ``diagnostics`` (findings of the project,
published through the session's record of what the client has) -> the client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from lsprotocol import types as t

from mpg_lsp.engine import Engine
from mpg_lsp.lsp.positions import path_of, uri_of
from mpg_lsp.syntax.document import Document, Encoding

Fingerprint = tuple[tuple[Any, ...], ...]


def fingerprint(diagnostics: list[t.Diagnostic]) -> Fingerprint:
    """What decides whether the client already has these diagnostics."""
    return tuple((d.code, d.range, d.message, d.severity) for d in diagnostics)


class Session:
    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or Engine()
        self.capabilities = t.ClientCapabilities()
        self.encoding: Encoding = "utf-16"
        self.pull = False  # the client pulls document diagnostics (and can be told to again)
        self.folders: list[str] = []  # workspace folders, as paths
        self.settings_generation = 0
        self.published: dict[str, Fingerprint] = {}  # uri -> what the client last received
        self.reported: set[tuple[str, str, str]] = set()  # settings problems shown once
        self._uris: dict[str, str] = {}  # path of an open document -> the URI the client used

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
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        elif not folders and params.root_path:
            folders = [uri_of(params.root_path)]
        self.folders = [p for p in (key(uri) for uri in folders) if p is not None]

    @property
    def refresh(self) -> bool:
        """The client can be asked to pull diagnostics again (workspace/diagnostic/refresh)."""
        ws = self.capabilities.workspace
        return bool(
            ws is not None and ws.diagnostics is not None and ws.diagnostics.refresh_support
        )

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
        doc = self._docs[path]
        self.engine.ws.close(path)
        return doc

    def document(self, uri: str) -> Document | None:
        """The open document at ``uri``."""
        path = key(uri)
        return self._docs.get(path) if path is not None else None

    def is_open(self, path: str) -> bool:
        return path in self._docs

    def documents(self) -> Iterator[tuple[str, Document]]:
        """(uri, document) of every open document."""
        for path, doc in list(self._docs.items()):
            yield self.uri(path), doc

    def uri(self, path: str) -> str:
        """The URI the client knows ``path`` by."""
        return self._uris.get(path) or uri_of(path)

    # -- settings -----------------------------------------------------------------------

    def configure(
        self, default: Mapping[str, Any], by_folder: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        """The editor's settings changed: ``default`` for every project, or the setting of the
        workspace folder (a path) a project is in."""
        self.settings_generation += 1
        self.engine.configure(default, by_folder or {}, self.settings_generation)


def key(uri: str) -> str | None:
    """The one normalisation of a client's URI: the file's path (None for non-file URIs)."""
    return path_of(uri)
