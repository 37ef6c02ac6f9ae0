"""Every fixture project under tests/fixtures/projects is a rule test: its files carry
``# expect: CODE`` on each line a diagnostic must start on (and nowhere else), and
``<case>.fixed/`` holds each file as it must read after every preferred fix is applied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mpg_lsp.cli.writing import write_fixed
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.fixing import fix_project
from mpg_lsp.rules.edits import preferred_fix
from mpg_lsp.syntax.languages import Lang, lang_for_path
from projects import (
    FIXTURES,
    copy_project,
    elixir_errors,
    expectations,
    position,
    text_structure_error,
    toml_error,
)

CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.endswith(".fixed"))
UPDATE = os.environ.get("MPG_LSP_UPDATE_SNAPSHOTS") == "1"


def findings_of(root: Path):
    engine = Engine()
    (project,) = discover_projects(str(root))
    return engine, engine.findings(project)


def located(root: Path, engine: Engine, findings) -> set[tuple[str, int, str]]:
    out = set()
    for f in findings:
        line, _ = position(engine, f.path, f.start)
        out.add((Path(f.path).relative_to(root).as_posix(), line + 1, f.code))
    return out


@pytest.mark.parametrize("case", CASES)
def test_diagnostics_exactly_where_annotated(case: str) -> None:
    root = FIXTURES / case
    engine, findings = findings_of(root)
    assert located(root, engine, findings) == expectations(root)


def _fix(case: str, dst: Path, crlf: bool = False) -> tuple[Path, list[str]]:
    """Apply every preferred safe fix the way `mpg-lsp fix` does: its passes, its refusal of a
    fix that would leave a file unparsable, and its atomic write."""
    root = copy_project(FIXTURES / case, dst, crlf=crlf)
    engine = Engine()
    (project,) = discover_projects(str(root))
    result = fix_project(engine, project)
    for path, new in result.fixed.items():
        write_fixed(path, new, project)
    return root, sorted(result.fixed)


@pytest.mark.parametrize("case", CASES)
def test_preferred_fixes_match_snapshot_and_clear_the_finding(case: str, tmp_path: Path) -> None:
    root, changed = _fix(case, tmp_path / case)
    fixed_dir = FIXTURES / f"{case}.fixed"
    for path in changed:
        rel = Path(path).relative_to(root)
        expected = fixed_dir / rel
        if UPDATE:
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_bytes(Path(path).read_bytes())
        assert expected.exists(), f"no snapshot {expected} (MPG_LSP_UPDATE_SNAPSHOTS=1 writes it)"
        assert Path(path).read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")
    if fixed_dir.exists():
        snapshots = {p.relative_to(fixed_dir) for p in fixed_dir.rglob("*") if p.is_file()}
        assert snapshots == {Path(p).relative_to(root) for p in changed}
    engine, after = findings_of(root)
    fixable_before = {
        (f.code) for f in findings_of(FIXTURES / case)[1] if preferred_fix(f) is not None
    }
    assert not fixable_before & {f.code for f in after}, "a preferred fix left its finding behind"


def test_fixed_files_parse(tmp_path: Path) -> None:
    """Elixir's own parser and tomllib accept every file a fix touched, LF and CRLF alike;
    a deploy file (Dockerfile, workflow, script, Makefile) keeps its structure."""
    exs: list[Path] = []
    tomls: list[Path] = []
    texts: dict[str, str | None] = {}
    for case in CASES:
        for crlf in (False, True):
            root, changed = _fix(case, tmp_path / f"{case}-{'crlf' if crlf else 'lf'}", crlf=crlf)
            for path in changed:
                if lang_for_path(path) is Lang.TEXT:
                    before = FIXTURES / case / Path(path).relative_to(root)
                    texts[path] = text_structure_error(before, Path(path))
                    continue
                (tomls if path.endswith(".toml") else exs).append(Path(path))
                if crlf:
                    data = Path(path).read_bytes()
                    assert data.count(b"\n") == data.count(b"\r\n"), f"{path} lost its CRLF endings"
    assert exs and tomls and texts
    assert {p: e for p, e in texts.items() if e} == {}
    assert elixir_errors(exs) == {}
    assert {str(p): toml_error(p) for p in tomls if toml_error(p)} == {}


def test_umbrella_dependency_fix_goes_to_the_app_that_depends_on_oban() -> None:
    root = FIXTURES / "umbrella"
    _, findings = findings_of(root)
    (mpg201,) = [f for f in findings if f.code == "MPG201"]
    phoenix = next(fix for fix in mpg201.fixes if "Phoenix" in fix.title)
    files = {Path(e.path).relative_to(root).as_posix() for e in phoenix.edits}
    assert files == {"config/config.exs", "apps/core/mix.exs"}
    assert any("pubsub: HarborWeb.PubSub" in e.text for e in phoenix.edits)
