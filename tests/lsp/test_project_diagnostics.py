"""The whole project in the editor: the problems of files that are not open, pushed to clients
that do not pull and answered to `workspace/diagnostic` for those that do (with result ids),
current after edits and changes on disk, each published once and in order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from editor import Editor
from lsprotocol import types as t
from projects import SAMPLE, copy_project

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOTIFIER = "  engine: Oban.Engines.Basic,\n"


def _codes(diags: Any) -> list[str]:
    return sorted(str(d.code) for d in diags)


async def _until(check: Callable[[], bool], seconds: float = 20) -> bool:
    for _ in range(int(seconds * 100)):
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


def _latest(editor: Editor, uri: str, since: int = 0) -> t.PublishDiagnosticsParams | None:
    found = [p for p in editor.client.published[since:] if p.uri == uri]  # type: ignore[attr-defined]
    return found[-1] if found else None


async def _pushed(editor: Editor, uri: str, codes: list[str], since: int = 0) -> list[str]:
    """The codes last pushed for ``uri`` (after the ``since``-th publish), once they are
    ``codes`` or after 20 s (a loaded machine is slow)."""

    def seen() -> list[str] | None:
        latest = _latest(editor, uri, since)
        return None if latest is None else _codes(latest.diagnostics)

    await _until(lambda: seen() == codes)
    return seen() or []


async def _workspace(
    editor: Editor, previous: dict[str, str] | None = None
) -> dict[str, t.WorkspaceDocumentDiagnosticReport]:
    report = await editor.client.workspace_diagnostic_async(
        t.WorkspaceDiagnosticParams(
            previous_result_ids=[
                t.PreviousResultId(uri=uri, value=value) for uri, value in (previous or {}).items()
            ]
        )
    )
    return {item.uri: item for item in report.items}


def _full(report: t.WorkspaceDocumentDiagnosticReport) -> list[str]:
    assert isinstance(report, t.WorkspaceFullDocumentDiagnosticReport), report
    return _codes(report.items)


def _touch(editor: Editor, path: Path, kind: t.FileChangeType = t.FileChangeType.Changed) -> None:
    editor.client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams(changes=[t.FileEvent(uri=path.as_uri(), type=kind)])
    )


async def test_opening_one_file_shows_the_whole_projects_problems(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    config, fly = root / "config" / "config.exs", root / "fly.toml"
    runtime = editor.open(root / "config" / "runtime.exs")
    assert _codes(await editor.diagnostics(runtime)) == ["MPG101"]
    if editor.pull:
        reports = await _workspace(editor)
        ids = {uri: str(r.result_id) for uri, r in reports.items()}
        assert _full(reports[config.as_uri()]) == ["MPG201"]
        assert _full(reports[fly.as_uri()]) == ["MPG301"]
        assert reports[config.as_uri()].version is None
    else:
        assert await _pushed(editor, config.as_uri(), ["MPG201"]) == ["MPG201"]
        assert await _pushed(editor, fly.as_uri(), ["MPG301"]) == ["MPG301"]
        latest = _latest(editor, fly.as_uri())
        assert latest is not None and latest.version is None  # the file on disk
    # a fix made on disk (another editor, `mpg-lsp fix`) clears the file's problems
    config.write_text(
        config.read_text().replace(NOTIFIER, NOTIFIER + "  notifier: Oban.Notifiers.PG,\n")
    )
    refreshes = editor.client.diagnostic_refresh_count
    _touch(editor, config)
    if editor.pull:
        assert await _until(lambda: editor.client.diagnostic_refresh_count > refreshes)
        reports = await _workspace(editor, ids)  # what a client sends: the ids it holds
        assert _full(reports[config.as_uri()]) == []
    else:
        assert await _pushed(editor, config.as_uri(), []) == []
    # the quick fix works on a file opened from such a diagnostic
    fly_uri = editor.open(fly, "toml")
    (diag,) = await editor.diagnostics(fly_uri)
    actions = await editor.actions(fly_uri, diag.range)
    assert actions and actions[0].edit is not None
    editor.apply(actions[0].edit)
    assert await editor.diagnostics(fly_uri) == []


async def test_without_file_watching_a_save_notices_changes_on_disk(
    editor: Editor, tmp_path: Path
) -> None:
    """Neovim on Linux watches no files: a save (of any file) is when the server looks at the
    disk again, so a fix made outside the editor clears the problem."""
    if editor.profile not in ("neovim@v0.11.0", "neovim@v0.7.0"):
        return
    root = copy_project(SAMPLE, tmp_path / "storefront")
    config = root / "config" / "config.exs"
    runtime = editor.open(root / "config" / "runtime.exs")
    assert await _pushed(editor, config.as_uri(), ["MPG201"]) == ["MPG201"]
    config.write_text(
        config.read_text().replace(NOTIFIER, NOTIFIER + "  notifier: Oban.Notifiers.PG,\n")
    )
    editor.client.text_document_did_save(
        t.DidSaveTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=runtime))
    )
    assert await _pushed(editor, config.as_uri(), []) == []


async def test_a_file_leaving_the_project_is_cleared(editor: Editor, tmp_path: Path) -> None:
    if editor.pull:
        return  # covered by the workspace pull below
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    editor.open(root / "config" / "runtime.exs")
    assert await _pushed(editor, fly.as_uri(), ["MPG301"]) == ["MPG301"]
    fly.unlink()
    _touch(editor, fly, t.FileChangeType.Deleted)
    assert await _pushed(editor, fly.as_uri(), []) == []


async def test_workspace_pull_answers_unchanged_until_something_changes(
    editor: Editor, tmp_path: Path
) -> None:
    if not editor.pull:
        return
    root = copy_project(SAMPLE, tmp_path / "storefront")
    config, fly = root / "config" / "config.exs", root / "fly.toml"
    editor.open(root / "config" / "runtime.exs")
    first = await _workspace(editor)
    ids = {uri: str(r.result_id) for uri, r in first.items() if r.result_id is not None}
    assert config.as_uri() in ids and fly.as_uri() in ids
    again = await _workspace(editor, ids)
    for uri in ids:
        assert isinstance(again[uri], t.WorkspaceUnchangedDocumentDiagnosticReport), uri
        assert again[uri].result_id == ids[uri]
    # config.exs is fixed on disk: one full, empty report for it; fly.toml stays unchanged
    config.write_text(
        config.read_text().replace(NOTIFIER, NOTIFIER + "  notifier: Oban.Notifiers.PG,\n")
    )
    refreshes = editor.client.diagnostic_refresh_count
    _touch(editor, config)
    assert await _until(lambda: editor.client.diagnostic_refresh_count > refreshes)
    after = await _workspace(editor, ids)
    assert _full(after[config.as_uri()]) == []
    assert isinstance(after[fly.as_uri()], t.WorkspaceUnchangedDocumentDiagnosticReport)


async def test_scope_open_shows_only_open_files(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    config = root / "config" / "config.exs"
    (root / ".mpg-lsp.toml").write_text('diagnostics-scope = "open"\n')
    runtime = editor.open(root / "config" / "runtime.exs")
    assert _codes(await editor.diagnostics(runtime)) == ["MPG101"]
    if editor.pull:
        assert config.as_uri() not in await _workspace(editor)
    else:
        assert _latest(editor, config.as_uri()) is None
    # back to the whole project: config.exs appears
    (root / ".mpg-lsp.toml").unlink()
    refreshes = editor.client.diagnostic_refresh_count
    _touch(editor, root / ".mpg-lsp.toml", t.FileChangeType.Deleted)
    if editor.pull:
        assert await _until(lambda: editor.client.diagnostic_refresh_count > refreshes)
        assert _full((await _workspace(editor))[config.as_uri()]) == ["MPG201"]
    else:
        assert await _pushed(editor, config.as_uri(), ["MPG201"]) == ["MPG201"]


PIECES = ["a", " ", ",", "\n", "#", "prepare: :unnamed", "é", "🚀", '"', "do", "end", ""]


async def test_each_change_is_published_once_and_in_order(editor: Editor, tmp_path: Path) -> None:
    """Random edit sequences, sent as fast as a typist's editor sends them, with saves: every
    file's publishes never repeat the previous one and never go back to an older version."""
    if editor.pull:
        return
    root = copy_project(SAMPLE, tmp_path / "storefront")
    since = len(editor.client.published)  # type: ignore[attr-defined]
    runtime = editor.open(root / "config" / "runtime.exs")
    fly = editor.open(root / "fly.toml", "toml")
    rng = random.Random(1203)
    changes = 0
    for _ in range(12):
        for _ in range(rng.randint(1, 8)):
            uri = rng.choice([runtime, runtime, fly])
            text = editor.text[uri]
            start = rng.randint(0, len(text))
            while 0 < start < len(text) and text[start - 1] == "\r" and text[start] == "\n":
                start -= 1
            end = min(len(text), start + rng.randint(0, 6))
            while 0 < end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
                end -= 1
            editor.change(uri, start, end, rng.choice(PIECES))
            changes += 1
            if rng.random() < 0.2:
                editor.client.text_document_did_save(
                    t.DidSaveTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=uri))
                )
        await editor.diagnostics(runtime)
        await editor.diagnostics(fly)
    published = editor.client.published[since:]  # type: ignore[attr-defined]
    by_uri: dict[str, list[t.PublishDiagnosticsParams]] = {}
    for params in published:
        by_uri.setdefault(params.uri, []).append(params)
    for uri, sent in by_uri.items():
        for before, after in zip(sent, sent[1:]):
            assert (before.version, before.diagnostics) != (after.version, after.diagnostics), uri
            if before.version is not None and after.version is not None:
                assert after.version >= before.version, uri
        assert len(sent) <= changes + 1, uri  # the open, then one per change at most
