"""The client and its settings: ``initialize`` (capabilities, encoding, workspace folders,
``initializationOptions``), ``workspace/configuration`` asked per workspace folder (section
``mpgLsp``, one item per folder with its ``scopeUri``, as esbonio does) and
``workspace/didChangeConfiguration``. Everything lands in the session; problems are shown once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lsprotocol import types as t

from mpg_lsp.lsp import diagnostics, documents
from mpg_lsp.lsp.positions import uri_of
from mpg_lsp.lsp.server import MpgServer

log = logging.getLogger(__name__)

SECTION = "mpgLsp"


def _section(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


def apply(server: MpgServer, raw: Any) -> None:
    """Settings the client pushed: one set for every project."""
    server.session.configure(dict(_section(raw)))
    diagnostics.refresh(server)


async def pull_configuration(server: MpgServer) -> None:
    """Ask for the settings of every workspace folder (and the default, for projects outside
    them); each project then resolves against the folder it is in."""
    session = server.session
    if not session.configuration:
        return
    folders = list(session.folders)
    items = [t.ConfigurationItem(section=SECTION)] + [
        t.ConfigurationItem(scope_uri=uri_of(folder), section=SECTION) for folder in folders
    ]
    try:
        result = await server.workspace_configuration_async(t.ConfigurationParams(items=items))
    except Exception as err:  # noqa: BLE001 - the client may not know the section; keep serving
        log.info("workspace/configuration failed: %s", err)
        return
    answers = list(result or [])
    if not any(isinstance(value, Mapping) for value in answers):
        return  # the client knows nothing of the section: initializationOptions stay
    default = answers[0] if answers and isinstance(answers[0], Mapping) else None
    by_folder = {
        folder: dict(_section(value))
        for folder, value in zip(folders, answers[1:])
        if isinstance(value, Mapping)
    }
    session.configure(
        dict(_section(default)) if default is not None else session.engine.editor_settings,
        by_folder,
    )


def register(server: MpgServer) -> None:
    @server.feature(t.INITIALIZE)
    def initialize(ls: MpgServer, params: t.InitializeParams) -> None:
        ls.session.initialize(params, ls.workspace.position_encoding)
        ls.session.configure(dict(_section(params.initialization_options)))
        if ls.session.pull:
            # offered only now: features registered during initialize are announced
            diagnostics.register_pull(ls)

    @server.feature(t.INITIALIZED)
    async def initialized(ls: MpgServer, params: t.InitializedParams) -> None:
        documents.register_watchers(ls)
        await pull_configuration(ls)
        diagnostics.refresh(ls)  # the workspace folders' projects, before any file is open

    @server.feature(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders(ls: MpgServer, params: t.DidChangeWorkspaceFoldersParams) -> None:
        ls.session.change_folders(
            [f.uri for f in params.event.added], [f.uri for f in params.event.removed]
        )
        documents.register_watchers(ls, again=True)
        await pull_configuration(ls)  # the new folders' settings
        diagnostics.refresh(ls)  # the projects of folders that came, and went (cleared)

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def changed(ls: MpgServer, params: t.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, Mapping) and SECTION in settings:
            apply(ls, settings)
        else:
            await pull_configuration(ls)
            diagnostics.refresh(ls)
