"""MPG109 beyond the fixture: which URL parameters crash, what each maps to, and the fix's
edits in the repo's own layout (checked by Elixir's parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.rules.base import Finding
from mpg_lsp.rules.edits import apply_edits
from projects import MIX, MemoryFileSystem, elixir_errors

ROOT = "/proj"
HOST = "ecto://USER:PASS@pgbouncer.c1.flympg.net/db"


def run(runtime: str) -> tuple[str, list[Finding]]:
    text = "import Config\n" + runtime
    fs = MemoryFileSystem(ROOT, {"mix.exs": MIX, "config/runtime.exs": text})
    return text, [f for f in Engine(fs).findings(ROOT) if f.code == "MPG109"]


def fixed(text: str, finding: Finding) -> str:
    return apply_edits(text.encode(), list(finding.fixes[0].edits)).decode()


@pytest.mark.parametrize(
    ("query", "added"),
    [
        ("ssl=require", "ssl: true"),
        ("ssl=verify-full", "ssl: true"),
        ("ssl=disable", "ssl: false"),
        ("ssl=True", "ssl: true"),  # Ecto matches the exact strings "true" and "false"
        ("ssl=prefer", None),  # no Postgrex equivalent: removed, nothing guessed
        ("connect_timeout=5000", "connect_timeout: 5000"),
        ("handshake_timeout=30000", "handshake_timeout: 30_000"),
        ("queue_interval=2000", "queue_interval: 2000"),
        ("queue_target=50ms", None),  # not a number: removed only
        ("socket_options=inet6", None),
        ("max_lifetime=540000", None),
    ],
)
def test_each_crashing_parameter_and_what_replaces_it(query: str, added: str | None) -> None:
    text, (finding,) = run(f'config :a, A.Repo, url: "{HOST}?{query}", prepare: :unnamed\n')
    name = query.split("=")[0]
    assert f"`{query}`" in finding.message and finding.severity == "error"
    after = fixed(text, finding)
    assert f'url: "{HOST}"' in after
    if added is None:
        assert after.count(f"{name}:") == 0
    else:
        assert after.endswith(f"prepare: :unnamed, {added}\n")


@pytest.mark.parametrize(
    "query", ["ssl=true", "ssl=false", "timeout=15000&pool_size=5&idle_interval=500", ""]
)
def test_what_ecto_converts_is_left_alone(query: str) -> None:
    url = f"{HOST}?{query}" if query else HOST
    _, found = run(f'config :a, A.Repo, url: "{url}", prepare: :unnamed\n')
    assert found == []


def test_keyword_already_set_wins_once_the_url_stops_overriding_it() -> None:
    text, (finding,) = run(
        f'config :a, A.Repo,\n  url: "{HOST}?ssl=require&connect_timeout=9000'
        '&application_name=x",\n'
        "  prepare: :unnamed,\n  ssl: [verify: :verify_none]\n"
    )
    after = fixed(text, finding)
    assert f'url: "{HOST}?application_name=x",' in after
    assert after.endswith("  ssl: [verify: :verify_none],\n  connect_timeout: 9000\n")
    assert finding.fixes[0].title == (
        "Remove `connect_timeout`, `ssl` from the URL and set `connect_timeout: 9000`"
    )


def test_fix_keeps_every_layout_valid_elixir(tmp_path: Path) -> None:
    query = "?ssl=require&connect_timeout=15000&queue_target=100"
    layouts = [
        f'config :a, A.Repo, url: "{HOST}{query}", prepare: :unnamed\n',
        f'config :a, A.Repo, [url: "{HOST}{query}", prepare: :unnamed,]\n',
        f'config :a, A.Repo,\n  url: "{HOST}{query}",\n  prepare: :unnamed # pooled\n',
        f'config :a, A.Repo, [\n  url: "{HOST}{query}",\n  prepare: :unnamed,\n]\n',
        f'config :a, A.Repo, [{{:url, "{HOST}{query}"}}, {{:prepare, :unnamed}}]\n',
    ]
    paths = []
    for n, layout in enumerate(layouts):
        text, (finding,) = run(layout)
        after = fixed(text, finding)
        assert "ssl" in after.split(HOST)[1] and "queue_target" in after.split(HOST)[1]
        path = tmp_path / f"layout{n}.exs"
        path.write_text(after, encoding="utf-8")
        paths.append(path)
    assert elixir_errors(paths) == {}
