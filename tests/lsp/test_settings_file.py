"""Mistakes in .mpg-lsp.toml, as the editor shows them: where they are written, with what the
command line would say ("did you mean", a code that names no rule), and a file that is not
TOML at all reported with its line rather than ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from editor import Editor
from projects import SAMPLE, copy_project

# the tests share their profile's server (a module-scoped fixture), so they share its loop too
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_typos_and_unknown_codes_are_shown_at_their_keys(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / ".mpg-lsp.toml").write_text(
        'ignroe = ["MPG301"]\npool_mode = "session"\nselect = ["MPG1", "MPG999"]\n'
    )
    settings = editor.open(root / ".mpg-lsp.toml", "toml")
    runtime = editor.open(root / "config" / "runtime.exs")
    assert [d.code for d in await editor.diagnostics(runtime)] == ["MPG101"]  # select MPG1 holds
    shown = {(d.range.start.line, d.message) for d in await editor.diagnostics(settings)}
    assert shown == {
        (0, "unknown setting `ignroe`; did you mean `ignore`?"),
        (1, "unknown setting `pool_mode`; did you mean `pool-mode`?"),
        (
            2,
            "`select` MPG999: no rule code, prefix or name matches it (`mpg-lsp rules` lists them)",
        ),
    }


async def test_a_file_that_is_not_toml_is_reported_with_its_line(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / ".mpg-lsp.toml").write_text('pool-mode = "session"\nignore = ["MPG301"\n')
    settings = editor.open(root / ".mpg-lsp.toml", "toml")
    runtime = editor.open(root / "config" / "runtime.exs")
    await editor.diagnostics(runtime)
    (problem,) = await editor.diagnostics(settings)
    assert problem.message == (
        "cannot read .mpg-lsp.toml: not valid TOML: Unclosed array (at its end, line 2)"
    )
    assert (problem.range.start.line, problem.range.end.line) == (1, 1)
    assert problem.range.end.character == len('ignore = ["MPG301"')


async def test_a_toml_error_mid_file_is_shown_on_its_line(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / ".mpg-lsp.toml").write_text('pool-mode = "session"\nignore = = 1\nselect = []\n')
    settings = editor.open(root / ".mpg-lsp.toml", "toml")
    await editor.diagnostics(editor.open(root / "config" / "runtime.exs"))
    (problem,) = await editor.diagnostics(settings)
    assert "not valid TOML" in problem.message and "line 2" in problem.message
    assert (problem.range.start.line, problem.range.start.character) == (1, 0)
    assert (problem.range.end.line, problem.range.end.character) == (1, len("ignore = = 1"))
