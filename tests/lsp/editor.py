"""The test editor for pytest-lsp: the real server process over stdio, driven with the capability
profiles of real clients (VS Code: utf-16 + push, Neovim 0.11: utf-8 + pull diagnostics,
Emacs: utf-32 + push, Neovim 0.7: utf-16 + push)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

# "+pull" adds what VS Code >= 1.67 offers: pull diagnostics with workspace refresh.
PROFILES = [
    "visual-studio-code",
    "visual-studio-code+pull",
    "neovim@v0.11.0",
    "emacs",
    "neovim@v0.7.0",
]


def capabilities(profile: str) -> t.ClientCapabilities:
    name, _, extra = profile.partition("+")
    caps = client_capabilities(name)
    if extra == "pull":
        assert caps.text_document is not None and caps.workspace is not None
        caps.text_document.diagnostic = t.DiagnosticClientCapabilities(
            related_document_support=True
        )
        caps.workspace.diagnostics = t.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


SERVER = [sys.executable, "-m", "mpg_lsp", "--stdio"]
ENV = {**os.environ, "MPG_LSP_CHECK_SYNC": "1", "MPG_LSP_LOG": "WARNING"}
_BREAK = re.compile(r"\r\n|\r|\n")


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(c: LanguageClient, params: t.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append(params)  # type: ignore[attr-defined]

    def register_capability(c: LanguageClient, params: t.RegistrationParams) -> None:
        c.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[t.CLIENT_REGISTER_CAPABILITY] = register_capability
    register_lsp_features(client, features)
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    return client


class Editor:
    """What an editor does: keeps the text, sends changes, applies edits, reads diagnostics."""

    def __init__(self, client: LanguageClient, profile: str, encoding: str) -> None:
        self.client = client
        self.profile = profile
        self.encoding = encoding
        self.text: dict[str, str] = {}
        self.version: dict[str, int] = {}
        # pull when the server offered it (it does so only to clients that can refresh)
        result = client.init_result  # type: ignore[attr-defined]
        self.pull = result.capabilities.diagnostic_provider is not None

    # -- positions, counted the way the negotiated encoding says --------------------------

    def offset(self, uri: str, pos: t.Position) -> int:
        text = self.text[uri]
        starts = [0] + [m.end() for m in _BREAK.finditer(text)]
        if pos.line >= len(starts):
            return len(text)
        start = starts[pos.line]
        end = starts[pos.line + 1] if pos.line + 1 < len(starts) else len(text)
        units = 0
        for i, ch in enumerate(text[start:end]):
            if units >= pos.character or ch in "\r\n":
                return start + i
            units += {"utf-8": len(ch.encode()), "utf-16": 2 if ord(ch) > 0xFFFF else 1}.get(
                self.encoding, 1
            )
        return end

    def position(self, uri: str, offset: int) -> t.Position:
        text = self.text[uri][:offset]
        starts = [0] + [m.end() for m in _BREAK.finditer(text)]
        line_text = text[starts[-1] :]
        units = sum(
            {"utf-8": len(ch.encode()), "utf-16": 2 if ord(ch) > 0xFFFF else 1}.get(
                self.encoding, 1
            )
            for ch in line_text
        )
        return t.Position(line=len(starts) - 1, character=units)

    def find(self, uri: str, needle: str, nth: int = 0) -> t.Position:
        index = -1
        for _ in range(nth + 1):
            index = self.text[uri].index(needle, index + 1)
        return self.position(uri, index)

    # -- documents -------------------------------------------------------------------------

    def open(self, path: Path, language: str = "elixir") -> str:
        uri = path.as_uri()
        self.text[uri] = path.read_bytes().decode("utf-8")
        self.version[uri] = 1
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=self.text[uri]
                )
            )
        )
        return uri

    def change(self, uri: str, start: int, end: int, new: str) -> None:
        """An incremental change of ``text[start:end]`` (string offsets)."""
        rng = t.Range(start=self.position(uri, start), end=self.position(uri, end))
        self.text[uri] = self.text[uri][:start] + new + self.text[uri][end:]
        self.version[uri] += 1
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=self.version[uri]),
                content_changes=[t.TextDocumentContentChangePartial(range=rng, text=new)],
            )
        )

    def apply(self, edit: t.WorkspaceEdit | None) -> None:
        """Apply a workspace edit the way a client does: every document, edits from the end."""
        assert edit is not None, "the code action carries no edit"
        groups: list[tuple[str, list[t.TextEdit]]] = []
        if edit.document_changes:
            for change in edit.document_changes:
                assert isinstance(change, t.TextDocumentEdit)
                if change.text_document.version is not None:
                    assert change.text_document.version == self.version[change.text_document.uri]
                groups.append((change.text_document.uri, list(change.edits)))  # type: ignore[arg-type]
        for uri, edits in (edit.changes or {}).items():
            groups.append((uri, list(edits)))
        for uri, edits in groups:
            if uri not in self.text:
                self.text[uri] = Path(uri.removeprefix("file://")).read_text(encoding="utf-8")
                self.version[uri] = 0
            spans = sorted(
                (
                    (self.offset(uri, e.range.start), self.offset(uri, e.range.end), e.new_text)
                    for e in edits
                ),
                reverse=True,
            )
            for start, end, new in spans:
                self.change(uri, start, end, new) if self.version[uri] else self._set(
                    uri, start, end, new
                )

    def _set(self, uri: str, start: int, end: int, new: str) -> None:
        self.text[uri] = self.text[uri][:start] + new + self.text[uri][end:]

    # -- diagnostics -----------------------------------------------------------------------

    async def diagnostics(self, uri: str) -> list[t.Diagnostic]:
        """The diagnostics for the document's current version."""
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                t.DocumentDiagnosticParams(text_document=t.TextDocumentIdentifier(uri=uri))
            )
            return list(report.items)  # type: ignore[union-attr]
        version = self.version[uri]
        for _ in range(1000):
            for params in reversed(self.client.published):  # type: ignore[attr-defined]
                if params.uri == uri:
                    if params.version == version:
                        return list(params.diagnostics)
                    break
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {uri} version {version}")

    async def actions(
        self, uri: str, rng: t.Range, only: list[str] | None = None
    ) -> list[t.CodeAction]:
        result = await self.client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=t.CodeActionContext(diagnostics=[], only=only),
            )
        )
        return [a for a in result or [] if isinstance(a, t.CodeAction)]

    async def hover(self, uri: str, pos: t.Position) -> str | None:
        result = await self.client.text_document_hover_async(
            t.HoverParams(text_document=t.TextDocumentIdentifier(uri=uri), position=pos)
        )
        if result is None:
            return None
        assert isinstance(result.contents, t.MarkupContent)
        return result.contents.value

    async def sync_state(self, uri: str) -> dict[str, Any]:
        return await self.client.protocol.send_request_async("mpgLsp/syncState", {"uri": uri})
