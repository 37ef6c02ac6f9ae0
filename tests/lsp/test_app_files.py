"""End to end beyond config/: diagnostics and fixes on lib/ files, a Dockerfile and a GitHub
workflow, and a change to a lib/ file republishing the files it affects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from editor import Editor
from lsprotocol import types as t
from projects import FIXTURES, copy_project

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _latest(
    editor: Editor, uri: str, count: int, want: Callable[[list[t.Diagnostic]], bool]
) -> list[t.Diagnostic]:
    """The diagnostics of ``uri`` once ``want`` holds for them: pulled after a refresh, or
    the latest pushed since ``count`` publications."""
    for _ in range(500):
        diags: list[t.Diagnostic] | None
        if editor.pull:
            diags = await editor.diagnostics(uri)
        else:
            fresh = [p for p in editor.client.published[count:] if p.uri == uri]  # type: ignore[attr-defined]
            diags = list(fresh[-1].diagnostics) if fresh else None
        if diags is not None and want(diags):
            return diags
        await asyncio.sleep(0.01)
    raise AssertionError(f"{uri} was not republished as expected")


async def test_lib_file_diagnostic_and_fix(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "listen_clients", tmp_path / "shop")
    listener = editor.open(root / "lib" / "shop" / "listener.ex")
    (diag,) = await editor.diagnostics(listener)
    assert diag.code == "MPG208" and "LISTENs through Shop.Repo" in diag.message
    assert diag.range.start == editor.find(listener, "Postgrex.Notifications.start_link")
    action = (await editor.actions(listener, diag.range))[0]
    assert action.is_preferred and "Shop.DirectRepo" in action.title
    editor.apply(action.edit)
    assert "Postgrex.Notifications.start_link(Shop.DirectRepo.config())" in editor.text[listener]
    assert await editor.diagnostics(listener) == []


async def test_dockerfile_diagnostic(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "entrypoint_shell", tmp_path / "shop")
    dockerfile = editor.open(root / "Dockerfile", "dockerfile")
    (diag,) = await editor.diagnostics(dockerfile)
    assert diag.code == "MPG308" and "exits 0" in diag.message
    assert diag.range.start == editor.find(dockerfile, '["/bin/sh", "-c"]')
    hover = await editor.hover(dockerfile, diag.range.start)
    assert hover is not None and "MPG308" in hover
    # removing the ENTRYPOINT clears it
    start = editor.text[dockerfile].index("ENTRYPOINT [")
    end = editor.text[dockerfile].index("\n", start) + 1
    editor.change(dockerfile, start, end, "")
    assert await editor.diagnostics(dockerfile) == []


async def test_workflow_fix_keeps_the_yaml(editor: Editor, tmp_path: Path) -> None:
    import yaml

    root = copy_project(FIXTURES / "manual_migrate", tmp_path / "shop")
    workflow = editor.open(root / ".github" / "workflows" / "deploy.yml", "yaml")
    (diag,) = await editor.diagnostics(workflow)
    assert diag.code == "MPG307"
    before = yaml.safe_load(editor.text[workflow])
    action = (await editor.actions(workflow, diag.range))[0]
    editor.apply(action.edit)
    after = yaml.safe_load(editor.text[workflow])
    step = after["jobs"]["deploy"]["steps"][3]
    assert step["run"] == (
        'flyctl ssh console --command \'/bin/sh -lc "DATABASE_URL=\\"$DIRECT_DATABASE_URL\\" '
        "/app/bin/shop eval Shop.Release.migrate\"'"
    )
    assert step.keys() == before["jobs"]["deploy"]["steps"][3].keys()
    assert await editor.diagnostics(workflow) == []


async def test_change_in_a_lib_file_republishes_the_config_it_affects(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(FIXTURES / "pg_notifier_no_cluster", tmp_path / "shop")
    app = root / "lib" / "shop" / "application.ex"
    app.parent.mkdir(parents=True)
    app.write_text(
        "defmodule Shop.Application do\n  use Application\n\n  def start(_type, _args) do\n"
        "    children = [Shop.Repo, {Oban, Application.fetch_env!(:shop, Oban)}]\n"
        "    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n"
    )
    config = editor.open(root / "config" / "config.exs")
    lib = editor.open(app)
    (diag,) = await editor.diagnostics(config)
    assert diag.code == "MPG210"
    count = len(editor.client.published)  # type: ignore[attr-defined]
    at = editor.text[lib].index("Shop.Repo, ")
    editor.change(lib, at, at, '{DNSCluster, query: "shop.internal"}, ')
    assert await _latest(editor, config, count, lambda d: d == []) == []
