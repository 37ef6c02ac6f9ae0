"""MPG309 beyond the fixtures: the arithmetic a user can check by hand, every assumption said,
the settings that change it, and silence where a figure cannot be known."""

from __future__ import annotations

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.rules.base import Finding
from projects import MIX, MemoryFileSystem

ROOT = "/proj"
POOLED = (
    'config :a, A.Repo, url: System.get_env("DATABASE_URL"), prepare: :unnamed, '
    "socket_options: [:inet6], pool_size: {size}\n"
)
FLY = 'app = "a"\n'


def budget(runtime: str, fly: str | None = FLY, settings: str = "") -> list[Finding]:
    files = {
        "mix.exs": MIX,
        "config/runtime.exs": "import Config\n# DIRECT_DATABASE_URL\n" + runtime,
        ".mpg-lsp.toml": settings,
    }
    if fly is not None:
        files["fly.toml"] = fly
    fs = MemoryFileSystem(ROOT, files)
    return [f for f in Engine(fs).findings(ROOT) if f.code == "MPG309"]


def test_two_machines_by_default_and_the_arithmetic_in_the_message() -> None:
    assert budget(POOLED.format(size=100)) == []  # 2 × 100 = 200: at the limit, not over
    (finding,) = budget(POOLED.format(size=101))
    assert finding.severity == "information"
    assert finding.message.startswith(
        "About 202 client connections to PgBouncer, over the Basic plan's 200: "
        "per Machine A.Repo 101 = 101; Machines: app 2 (Fly's default per process group) = 2; "
        "running: 2 × 101 = 202. Assumed: plan basic (`mpg-plan`)."
    )


@pytest.mark.parametrize(
    ("settings", "fly", "machines"),
    [
        ("machines = 5\n", FLY, "app 5 (the `machines` setting)"),
        (
            "",
            FLY + "[http_service]\n  min_machines_running = 4\n",
            "app 4 (min_machines_running = 4)",
        ),
        (
            "",
            FLY + "[http_service]\n  min_machines_running = 0\n",
            "app 2 (min_machines_running = 0)",
        ),
        (
            "machines = { worker = 1 }\n",
            FLY + '[processes]\n  app = "bin/server"\n  worker = "bin/worker"\n',
            "app 2 (Fly's default per process group) + worker 1 (the `machines` setting)",
        ),
    ],
)
def test_where_the_machine_count_comes_from(settings: str, fly: str, machines: str) -> None:
    (finding,) = budget(POOLED.format(size=110), fly, settings)
    assert f"Machines: {machines} = " in finding.message


def test_the_plan_setting_moves_the_limits() -> None:
    runtime = POOLED.format(size=150)
    assert budget(runtime, settings='mpg-plan = "launch"\n') == []
    (finding,) = budget(runtime, settings='mpg-plan = "starter"\n')
    assert "over the Starter plan's 200" in finding.message


def test_pool_count_the_default_pool_and_the_notifier_count() -> None:
    runtime = (
        'config :a, A.Repo, url: System.get_env("DATABASE_URL"), prepare: :unnamed, '
        "socket_options: [:inet6], pool_count: 8\n"
        "config :a, Oban, repo: A.Repo, notifier: Oban.Notifiers.PG, queues: [a: 1]\n"
        "config :a, A.Jobs, repo: A.ObanRepo, queues: [b: 1]\n"
        'config :a, A.ObanRepo, url: System.get_env("DIRECT_DATABASE_URL"), pool_size: 2, '
        "socket_options: [:inet6]\n"
    )
    (finding,) = budget(runtime, settings="machines = 13\n")
    assert "A.Repo 10 × 8 pools (Ecto's default) = 80" in finding.message
    # the direct side: 13 × (2 + 1 notifier) = 39, under 50
    assert (
        budget(runtime, settings="machines = 17\n")[1].message.split(":")[0]
        == "About 51 direct connections to Postgres, over the Basic plan's 50"
    )


def test_migrations_through_the_pooler_add_their_pool_during_a_deploy() -> None:
    fly = FLY + '[deploy]\n  release_command = "/app/bin/migrate"\n'
    runtime = "config :a, ecto_repos: [A.Repo]\n" + POOLED.format(size=100)
    (finding,) = budget(runtime, fly)
    assert finding.message.startswith(
        "About 202 client connections to PgBouncer at the peak of a deploy (200 while running)"
    )
    assert "release_command migrations +2 (A.Repo, pool 2)" in finding.message


def test_silent_when_a_figure_cannot_be_known() -> None:
    computed = POOLED.format(size="A.Pools.size()")
    assert budget(computed, settings="machines = 100\n") == []
    assert budget(POOLED.format(size=500), fly=None) == []  # no Fly config: not a Fly app
    env_without_fallback = POOLED.format(size='String.to_integer(System.fetch_env!("POOL"))')
    assert budget(env_without_fallback, settings="machines = 100\n") == []


def test_unclassified_repos_are_named_not_counted() -> None:
    other = "config :a, A.OtherRepo, url: A.Config.url(), pool_size: 99\n"
    (finding,) = budget(POOLED.format(size=150) + other)
    assert "not counted: A.OtherRepo (URL not classified)" in finding.message
    assert "A.OtherRepo 99" not in finding.message


def test_listen_clients_of_the_supervision_tree_count_one_each() -> None:
    application = (
        "defmodule A.Application do\n  use Application\n\n  def start(_type, _args) do\n"
        "    children = [A.DirectRepo, {EctoWatch, repo: A.DirectRepo, pub_sub: A.PubSub, "
        "watchers: []}]\n    Supervisor.start_link(children, strategy: :one_for_one)\n  end\nend\n"
    )
    runtime = (
        'config :a, A.DirectRepo, url: System.get_env("DIRECT_DATABASE_URL"), pool_size: 5, '
        "socket_options: [:inet6]\n"
    )
    files = {
        "mix.exs": MIX,
        "config/runtime.exs": "import Config\n" + runtime,
        "fly.toml": FLY,
        ".mpg-lsp.toml": "machines = 9\n",
        "lib/a/application.ex": application,
    }
    found = Engine(MemoryFileSystem(ROOT, files)).findings(ROOT)
    (finding,) = [f for f in found if f.code == "MPG309"]
    assert "per Machine A.DirectRepo 5 + EctoWatch LISTEN 1 = 6" in finding.message
    assert "running: 9 × 6 = 54" in finding.message
