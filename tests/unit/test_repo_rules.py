"""Repo rules beyond the fixtures: what the messages tell a user (the arithmetic, the version
that decides), and the version boundaries of MPG106/MPG110 and MPG111, read from mix.lock."""

from __future__ import annotations

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.rules.base import Finding
from projects import MIX, MemoryFileSystem

ROOT = "/proj"
HASH = '"00", [:mix], [], "hexpm", "11"'


def lock(**versions: str) -> str:
    rows = "".join(f'  "{p}": {{:hex, :{p}, "{v}", {HASH}}},\n' for p, v in versions.items())
    return "%{\n" + rows + "}\n"


def run(runtime: str, code: str, **files: str) -> list[Finding]:
    body = "import Config\n# DIRECT_DATABASE_URL is the direct one (MPG evidence)\n" + runtime
    fs = MemoryFileSystem(ROOT, {"mix.exs": MIX, "config/runtime.exs": body, **files})
    return [f for f in Engine(fs).findings(ROOT) if f.code == code]


POOLED = 'config :a, A.Repo, url: System.get_env("DATABASE_URL"), prepare: :unnamed'


def test_mpg108_counts_the_notifier_connection_of_a_direct_oban_repo() -> None:
    runtime = (
        'config :a, A.ObanRepo, url: System.get_env("DIRECT_DATABASE_URL"), pool_size: 9\n'
        "config :a, Oban, repo: A.ObanRepo, queues: [default: 5]\n"
    )
    (finding,) = run(runtime, "MPG108")
    assert "pool_size 9, plus the connection Oban's Postgres notifier opens" in finding.message
    assert "10 direct connections per Machine" in finding.message
    assert "at 6 or less" in finding.message
    # the PG notifier uses distributed Erlang, not a connection of its own
    pg = runtime.replace("queues:", "notifier: Oban.Notifiers.PG, queues:")
    (finding,) = run(pg, "MPG108")
    assert "9 direct connections per Machine" in finding.message
    assert "notifier" not in finding.message


def test_mpg108_threshold_follows_the_setting() -> None:
    runtime = 'config :a, A.ObanRepo, url: System.get_env("DIRECT_DATABASE_URL"), pool_size: 6\n'
    assert run(runtime, "MPG108") == []
    (finding,) = run(runtime, "MPG108", **{".mpg-lsp.toml": "direct-pool-max = 4\n"})
    assert finding.fixes[0].edits[0].text == "4"


@pytest.mark.parametrize(
    ("postgrex", "code"),
    [("0.19.3", "MPG106"), ("0.20.0", "MPG110"), ("0.22.2", "MPG110"), ("1.0.0", "MPG110")],
)
def test_search_path_is_a_set_before_postgrex_020_and_a_startup_parameter_from_it(
    postgrex: str, code: str
) -> None:
    runtime = POOLED + ', search_path: ["app"]\n'
    files = {"mix.lock": lock(postgrex=postgrex)}
    assert [f.code for f in run(runtime, "MPG106", **files) + run(runtime, "MPG110", **files)] == [
        code
    ]


def test_search_path_without_a_lock_stays_a_warning() -> None:
    runtime = POOLED + ', search_path: ["app"]\n'
    assert len(run(runtime, "MPG106")) == 1 and run(runtime, "MPG110") == []


def test_mpg110_names_every_untracked_parameter_and_applies_in_session_mode() -> None:
    runtime = (
        POOLED + ', parameters: [application_name: "a", statement_timeout: "5s", work_mem: "8MB"]\n'
    )
    (finding,) = run(runtime, "MPG110", **{".mpg-lsp.toml": 'pool-mode = "session"\n'})
    assert "`statement_timeout`, `work_mem`" in finding.message
    assert "application_name" not in finding.message
    assert "unsupported startup parameter: statement_timeout" in finding.message
    assert "SET LOCAL" in finding.message and finding.severity == "error"


@pytest.mark.parametrize(
    ("db_connection", "hint", "warning"),
    [
        ("2.9.0", False, "ignores it"),
        ("2.10.0", False, "idle ones from 2.10.1 on"),
        ("2.10.1", True, None),
        ("2.11.0", True, None),
    ],
)
def test_mpg111_by_db_connection_version(
    db_connection: str, hint: bool, warning: str | None
) -> None:
    files = {"mix.lock": lock(db_connection=db_connection)}
    found = run(POOLED + "\n", "MPG111", **files)
    assert len(found) == (1 if hint else 0)
    for missing in found:
        assert missing.severity == "hint" and f"db_connection {db_connection}" in missing.message
        assert missing.fixes[0].edits[0].text == ", max_lifetime: 480_000..540_000"
    found = run(POOLED + ", max_lifetime: 480_000..540_000\n", "MPG111", **files)
    if warning is None:
        assert found == []
    else:
        (finding,) = found
        assert finding.severity == "warning" and warning in finding.message


def test_mpg111_says_nothing_without_a_lock_or_when_set_in_an_unreadable_way() -> None:
    assert run(POOLED + "\n", "MPG111") == []
    files = {"mix.lock": lock(db_connection="2.10.2")}
    computed = (
        "opts = [max_lifetime: 1..2]\n"
        'config :a, A.Repo, Keyword.merge([url: System.get_env("DATABASE_URL")], opts)\n'
    )
    assert run(computed, "MPG111", **files) == []
