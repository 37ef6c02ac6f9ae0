"""Quick fixes from wherever the cursor is on the diagnostic's line, matched to the request's
diagnostics through their `data`; fix-all asked for by its parent kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from editor import Editor
from lsprotocol import types as t
from projects import FIXTURES, SAMPLE, copy_project

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _actions(
    editor: Editor,
    uri: str,
    rng: t.Range,
    diagnostics: list[t.Diagnostic] | None = None,
    only: list[str] | None = None,
) -> list[t.CodeAction]:
    result = await editor.client.text_document_code_action_async(
        t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=t.CodeActionContext(diagnostics=diagnostics or [], only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, t.CodeAction)]


def _at(line: int, character: int) -> t.Range:
    return t.Range(
        start=t.Position(line=line, character=character),
        end=t.Position(line=line, character=character),
    )


async def test_quick_fix_from_anywhere_on_the_line(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    line = diag.range.start.line
    end_of_line = len(editor.text[runtime].splitlines()[line])
    from_diagnostic = [a.title for a in await _actions(editor, runtime, diag.range)]
    assert from_diagnostic and from_diagnostic[0].startswith("Add `prepare: :unnamed`")
    # the cursor at column 0 and at the end of the line, as Neovim and Eglot send it
    for character in (0, end_of_line):
        titles = [a.title for a in await _actions(editor, runtime, _at(line, character))]
        assert titles == from_diagnostic, character
    # a whole-line selection (column 0 to column 0 of the next line)
    whole = t.Range(
        start=t.Position(line=line, character=0), end=t.Position(line=line + 1, character=0)
    )
    assert [a.title for a in await _actions(editor, runtime, whole)] == from_diagnostic
    # lines without our diagnostics get nothing
    assert await _actions(editor, runtime, _at(0, 0)) == []
    assert await _actions(editor, runtime, _at(line - 1, 0)) == []


async def test_the_requests_diagnostics_pick_the_fixes(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    # the client names our diagnostic (its `data` says which finding) with the cursor elsewhere
    actions = await _actions(editor, runtime, _at(0, 0), diagnostics=[diag])
    assert actions and actions[0].title.startswith("Add `prepare: :unnamed`")
    assert list(actions[0].diagnostics or []) == [
        diag
    ]  # the client's own diagnostic, so it links them
    # somebody else's diagnostic on an empty line gets nothing from us
    other = t.Diagnostic(range=_at(0, 0), message="x", source="elixir-ls", data={"code": "MPG101"})
    assert await _actions(editor, runtime, _at(0, 0), diagnostics=[other]) == []
    # a fix applied from a cursor at column 0 leaves the file without the problem
    editor.apply(actions[0].edit)  # type: ignore[arg-type]
    assert await editor.diagnostics(runtime) == []


@pytest.mark.parametrize("kind", ["source.fixAll.mpg-lsp", "source.fixAll", "source"])
async def test_fix_all_by_its_own_or_a_parent_kind(
    editor: Editor, tmp_path: Path, kind: str
) -> None:
    root = copy_project(FIXTURES / "inline_single_line", tmp_path / "shop")
    config = editor.open(root / "config" / "config.exs")
    assert len(await editor.diagnostics(config)) == 2
    whole = t.Range(start=t.Position(line=0, character=0), end=t.Position(line=99, character=0))
    actions = await _actions(editor, config, whole, only=[kind])
    assert [a.kind for a in actions] == ["source.fixAll.mpg-lsp"]
    # quick fixes only when asked for them (or for nothing in particular)
    quick = await _actions(editor, config, whole, only=["quickfix"])
    assert quick and all(a.kind == "quickfix" for a in quick)
