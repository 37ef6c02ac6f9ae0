"""The session's settings: asked per workspace folder, applied per project."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_lsp
from editor import ENV, SERVER, Editor, capabilities, make_client
from lsprotocol import types as t
from projects import FIXTURES, SAMPLE, copy_project
from pytest_lsp import ClientServerConfig, LanguageClient
from rawclient import RawClient


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV, client_factory=make_client),
    scope="module",
)
async def client(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    """Two workspace folders, one storefront each; the first ignores MPG101 in its folder
    settings (VS Code's `.vscode/settings.json` of that folder)."""
    quiet = copy_project(SAMPLE, tmp_path_factory.mktemp("quiet") / "storefront")
    loud = copy_project(SAMPLE, tmp_path_factory.mktemp("loud") / "storefront")
    lsp_client.set_configuration({"ignore": ["MPG101"]}, section="mpgLsp", scope_uri=quiet.as_uri())
    caps = capabilities("visual-studio-code")  # VS Code 1.65 with today's relative patterns
    assert caps.workspace is not None and caps.workspace.did_change_watched_files is not None
    caps.workspace.did_change_watched_files.relative_pattern_support = True
    result = await lsp_client.initialize_session(
        t.InitializeParams(
            capabilities=caps,
            workspace_folders=[
                t.WorkspaceFolder(uri=quiet.as_uri(), name="quiet"),
                t.WorkspaceFolder(uri=loud.as_uri(), name="loud"),
            ],
        )
    )
    lsp_client.init_result = result  # type: ignore[attr-defined]
    lsp_client.folders = (quiet, loud)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def folders(client: LanguageClient) -> tuple[Editor, Path, Path]:
    quiet, loud = client.folders  # type: ignore[attr-defined]
    return Editor(client, "visual-studio-code", "utf-16"), quiet, loud


async def _until(check: Callable[[], bool]) -> bool:
    for _ in range(2000):
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


async def _settled(editor: Editor, uri: str, codes: list[str]) -> list[str]:
    """The codes of the latest diagnostics for ``uri`` once they are ``codes`` (or after 20 s):
    the settings arrive a moment after the documents may have been checked."""
    seen: list[str] = []
    for _ in range(2000):
        seen = [str(d.code) for d in editor.client.diagnostics.get(uri, [])]
        if seen == codes:
            break
        await asyncio.sleep(0.01)
    return seen


@pytest.mark.asyncio(loop_scope="module")
async def test_workspace_folders_projects_are_shown_before_a_file_is_open(
    folders: tuple[Editor, Path, Path],
) -> None:
    """Every project of every workspace folder, each with its folder's settings."""
    editor, quiet, loud = folders
    fly = "fly.toml"
    assert await _settled(editor, (loud / fly).as_uri(), ["MPG301"]) == ["MPG301"]
    assert await _settled(editor, (quiet / fly).as_uri(), ["MPG301"]) == ["MPG301"]
    runtime = "config/runtime.exs"
    assert await _settled(editor, (loud / runtime).as_uri(), ["MPG101"]) == ["MPG101"]
    assert await _settled(editor, (quiet / runtime).as_uri(), []) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_files_are_watched_in_each_folder_but_not_in_deps(
    folders: tuple[Editor, Path, Path],
) -> None:
    """Watchers relative to each workspace folder, at the places a project sits (the folder,
    apps/*, */), so deps/, _build/ and node_modules/ send no events."""
    editor, quiet, loud = folders
    assert await _until(lambda: bool(editor.client.registrations))  # type: ignore[attr-defined]
    (registration,) = editor.client.registrations  # type: ignore[attr-defined]
    watchers = registration.register_options["watchers"]
    patterns: dict[str, set[str]] = {}
    for watcher in watchers:
        glob = watcher["globPattern"]
        patterns.setdefault(glob["baseUri"], set()).add(glob["pattern"])
    assert set(patterns) == {quiet.as_uri(), loud.as_uri()}
    for found in patterns.values():
        assert {"mix.exs", "apps/*/mix.exs", "*/mix.exs", "config/**/*.exs", "lib/**/*.ex"} <= found
        assert not [p for p in found if p.startswith("**") or "deps" in p or "_build" in p]


@pytest.mark.asyncio(loop_scope="module")
async def test_each_workspace_folder_has_its_own_settings(
    folders: tuple[Editor, Path, Path],
) -> None:
    editor, quiet, loud = folders
    runtime_quiet = editor.open(quiet / "config" / "runtime.exs")
    runtime_loud = editor.open(loud / "config" / "runtime.exs")
    assert await _settled(editor, runtime_loud, ["MPG101"]) == ["MPG101"]
    assert await _settled(editor, runtime_quiet, []) == []
    # a change to the folder's settings applies once the server asks again
    editor.client.set_configuration({}, section="mpgLsp", scope_uri=quiet.as_uri())
    editor.client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=None))
    assert await _settled(editor, runtime_quiet, ["MPG101"]) == ["MPG101"]


@pytest.mark.parametrize(("version", "shown"), [("0.7.2", True), ("0.11.4", False)])
def test_rule_code_in_the_message_for_neovim_before_0_10(
    tmp_path: Path, version: str, shown: bool
) -> None:
    """Neovim 0.7 to 0.9 show a diagnostic's message but not its code: the code goes into the
    message there (and only there)."""
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = root / "config" / "runtime.exs"
    client = RawClient()
    try:
        client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": None,
                "capabilities": {},
                "clientInfo": {"name": "Neovim", "version": version},
            },
        )
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": runtime.as_uri(),
                    "languageId": "elixir",
                    "version": 1,
                    "text": runtime.read_text(),
                }
            },
        )
        client.request("shutdown", None)  # answered after the publish
        (published,) = [
            n["params"]
            for n in client.notifications
            if n["method"] == "textDocument/publishDiagnostics"
            and n["params"]["uri"] == runtime.as_uri()
        ]
        (diag,) = published["diagnostics"]
        assert diag["code"] == "MPG101"
        assert diag["message"].startswith("MPG101: ") == shown
    finally:
        client.notify("exit", None)
        client.proc.wait(timeout=10)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV, client_factory=make_client),
    scope="module",
)
async def monorepo(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    """One workspace folder holding an umbrella (apps/core, apps/web) beside a Phoenix app."""
    repo = tmp_path_factory.mktemp("monorepo")
    copy_project(FIXTURES / "umbrella", repo / "harbor")
    copy_project(SAMPLE, repo / "services" / "storefront")
    result = await lsp_client.initialize_session(
        t.InitializeParams(
            capabilities=capabilities("neovim@v0.7.0"),
            workspace_folders=[t.WorkspaceFolder(uri=repo.as_uri(), name="repo")],
        )
    )
    lsp_client.init_result = result  # type: ignore[attr-defined]
    lsp_client.repo = repo  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="module")
async def test_every_project_of_a_folder_is_shown(monorepo: LanguageClient) -> None:
    """An umbrella and an app one folder down, nothing open: each project's problems arrive,
    the umbrella's once (its apps are part of it, not projects of their own)."""
    editor = Editor(monorepo, "neovim@v0.7.0", "utf-16")
    repo: Path = monorepo.repo  # type: ignore[attr-defined]
    expected = {
        repo / "harbor" / "config" / "config.exs": ["MPG201"],
        repo / "harbor" / "fly.toml": ["MPG301"],
        repo / "services" / "storefront" / "config" / "config.exs": ["MPG201"],
        repo / "services" / "storefront" / "fly.toml": ["MPG301"],
    }
    for path, codes in expected.items():
        assert await _settled(editor, path.as_uri(), codes) == codes, path
    published = [p.uri for p in monorepo.published]  # type: ignore[attr-defined]
    assert not [uri for uri in published if "/apps/" in uri and uri.endswith("mix.exs")]
    assert len(published) == len(set(published))  # each file once
