"""Oban rules beyond the fixtures: MPG201's fix for a dedicated repo on the pooled URL (not the
preferred one, so the fixture snapshots do not apply it), and the versions MPG211 and MPG212
read from mix.lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.project.mix import requirement_floor
from mpg_lsp.rules.base import Edit, Finding
from mpg_lsp.rules.edits import apply_edits
from projects import FIXTURES, elixir_errors


def findings(root: Path, code: str) -> list[Finding]:
    (project,) = discover_projects(str(root))
    return [f for f in Engine().findings(project) if f.code == code]


def test_mpg201_points_a_dedicated_oban_repo_at_the_direct_url(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / "oban_dedicated_repo_pooled", tmp_path / "depot"))
    runtime = root / "config" / "runtime.exs"
    before = runtime.read_text(encoding="utf-8")
    edits: list[Edit] = []
    for finding in findings(root, "MPG201"):
        (fix,) = [f for f in finding.fixes if f.title.startswith("Point ")]
        assert not fix.preferred and not fix.safe  # the secret has to exist first
        assert {e.path for e in fix.edits} == {str(runtime)}
        edits.extend(fix.edits)
    runtime.write_bytes(apply_edits(runtime.read_bytes(), edits))
    after = runtime.read_text(encoding="utf-8")
    # the call keeps its form; a shared binding is left to the main repo
    assert after == before.replace(
        'url: System.get_env("DATABASE_URL"),\n    prepare: :unnamed,\n    pool_size: 5',
        'url: System.get_env("DIRECT_DATABASE_URL"),\n    prepare: :unnamed,\n    pool_size: 5',
    ).replace(
        "Depot.JobsRepo, url: database_url,",
        'Depot.JobsRepo, url: System.fetch_env!("DIRECT_DATABASE_URL"),',
    )
    assert "Depot.Repo, url: database_url, prepare: :unnamed" in after
    assert elixir_errors([runtime]) == {}
    assert findings(root, "MPG201") == []


def test_mpg201_offers_no_url_change_for_the_main_repo() -> None:
    (finding,) = findings(FIXTURES / "oban_notifier_names", "MPG201")[:1]
    assert not any(f.title.startswith("Point ") for f in finding.fixes)


@pytest.mark.parametrize(
    ("requirement", "floor"),
    [
        ('"~> 0.2"', (0, 2, 0)),
        ('"~> 0.2.2"', (0, 2, 2)),
        ('">= 0.2.2 and < 1.0.0"', (0, 2, 2)),
        ('"0.2.1"', None),  # a bare version is not read
        ('"~> 0.1 or ~> 0.2.2"', None),
    ],
)
def test_requirement_floor(requirement: str, floor: tuple[int, ...] | None) -> None:
    assert requirement_floor(requirement) == floor


def test_mpg212_is_quiet_once_the_requirement_excludes_the_locked_version(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / "oban_notifiers_phoenix_outdated", tmp_path / "kiln"))
    (finding,) = findings(root, "MPG212")
    assert "0.2.1" in finding.message and finding.severity == "hint"
    mix = root / "mix.exs"
    mix.write_text(mix.read_text().replace('"~> 0.2"', '">= 0.2.2"'))
    assert findings(root, "MPG212") == []
