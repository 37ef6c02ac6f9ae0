"""pytest-lsp: the real server process over stdio, once per client capability profile."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from editor import ENV, PROFILES, SERVER, Editor, capabilities, make_client
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV, client_factory=make_client),
    params=PROFILES,
    scope="module",  # one server per profile; every test works in its own folder
)
async def client(
    lsp_client: LanguageClient,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
):
    root = tmp_path_factory.mktemp("workspace")
    result = await lsp_client.initialize_session(
        t.InitializeParams(
            capabilities=capabilities(request.param),
            root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def editor(client: LanguageClient, tmp_path: Path) -> Editor:
    encoding = client.init_result.capabilities.position_encoding or "utf-16"  # type: ignore[attr-defined]
    return Editor(client, client.profile, getattr(encoding, "value", encoding))  # type: ignore[attr-defined]
