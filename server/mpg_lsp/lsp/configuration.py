"""Editor settings: ``initializationOptions``, ``workspace/configuration`` (section
``mpgLsp``) and ``workspace/didChangeConfiguration``; problems shown once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lsprotocol import types as t

from mpg_lsp.lsp import diagnostics, documents
from mpg_lsp.lsp.server import MpgServer

log = logging.getLogger(__name__)

SECTION = "mpgLsp"


def _section(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


def apply(server: MpgServer, raw: Any) -> None:
    server.engine.editor_settings = dict(_section(raw))
    diagnostics.refresh(server)


async def pull_configuration(server: MpgServer) -> None:
    caps = server.client_capabilities.workspace
    if caps is None or not caps.configuration:
        return
    try:
        result = await server.workspace_configuration_async(
            t.ConfigurationParams(items=[t.ConfigurationItem(section=SECTION)])
        )
    except Exception as err:  # noqa: BLE001 - the client may not know the section; keep serving
        log.info("workspace/configuration failed: %s", err)
        return
    if result and isinstance(result[0], Mapping):
        apply(server, result[0])


def register(server: MpgServer) -> None:
    @server.feature(t.INITIALIZE)
    def initialize(ls: MpgServer, params: t.InitializeParams) -> None:
        ls.engine.editor_settings = dict(_section(params.initialization_options))
        # Pull diagnostics only for clients that can also be told to pull again when another
        # file's change alters a document's diagnostics; everyone else gets them pushed, and
        # the pull capability is not advertised so no client sees the same diagnostic twice.
        doc_caps = params.capabilities.text_document
        ws_caps = params.capabilities.workspace
        ls.pull_mode = bool(
            doc_caps is not None
            and doc_caps.diagnostic is not None
            and ws_caps is not None
            and ws_caps.diagnostics is not None
            and ws_caps.diagnostics.refresh_support
        )
        if not ls.pull_mode:
            ls.protocol.fm.features.pop(t.TEXT_DOCUMENT_DIAGNOSTIC, None)
            ls.protocol.fm.feature_options.pop(t.TEXT_DOCUMENT_DIAGNOSTIC, None)

    @server.feature(t.INITIALIZED)
    async def initialized(ls: MpgServer, params: t.InitializedParams) -> None:
        documents.register_watchers(ls)
        await pull_configuration(ls)

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def changed(ls: MpgServer, params: t.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, Mapping) and SECTION in settings:
            apply(ls, settings)
        else:
            await pull_configuration(ls)
