"""Oban instances as the prod release sees them: configured, started in application.ex, or
both; names read through aliases and variables; unknown when they cannot be read."""

from __future__ import annotations

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.project.oban import Oban
from projects import MemoryFileSystem, position

ROOT = "/proj"
MIX = (
    "defmodule A.MixProject do\n"
    '  defp deps, do: [{:ecto_sql, "~> 3.12"}, {:postgrex, ">= 0.0.0"}, {:oban, "~> 2.19"},\n'
    '                  {:dns_cluster, "~> 0.1"}]\nend\n'
)
REPO = (
    'config :a, A.Repo, url: System.fetch_env!("DATABASE_URL"), prepare: :unnamed, '
    "socket_options: [:inet6]\n"
)
LOCK = '%{{\n  "oban": {{:hex, :oban, "{}", "abc", [:mix], [], "hexpm", "def"}},\n}}\n'


def engine(files: dict[str, str], **settings: object) -> Engine:
    fs = MemoryFileSystem(ROOT, {"mix.exs": MIX, "fly.toml": 'app = "a"\n', **files})
    eng = Engine(fs)
    if settings:
        eng.editor_settings = settings
    return eng


def obans(files: dict[str, str]) -> dict[str, Oban]:
    found = engine(files).view(ROOT).obans
    return {o.name: o for o in found}


def codes(files: dict[str, str], **settings: object) -> list[tuple[str, str, int]]:
    """(code, file name, 1-based line) of every finding."""
    eng = engine(files, **settings)
    out = []
    for f in eng.findings(ROOT):
        line, _ = position(eng, f.path, f.start)
        out.append((f.code, f.path.rsplit("/", 1)[-1], line + 1))
    return sorted(out)


def app(children: str, before: str = "", helpers: str = "") -> str:
    return (
        "defmodule A.Application do\n  use Application\n"
        + before
        + "  def start(_type, _args) do\n"
        + children
        + "    Supervisor.start_link(children, strategy: :one_for_one)\n  end\n"
        + helpers
        + "end\n"
    )


# -- configured instances -----------------------------------------------------------------


def test_custom_instance_names_need_repo_and_an_oban_key() -> None:
    found = obans(
        {
            "config/config.exs": (
                "config :a, A.Jobs, repo: A.Repo, queues: [default: 1]\n"
                "config :a, A.Cron, repo: A.Repo, plugins: [Oban.Plugins.Pruner]\n"
                "config :a, :oban, repo: A.Repo, engine: Oban.Engines.Basic\n"
                'config :a, A.Audit, repo: A.Repo, table: "audit"\n'  # a library's repo option
            ),
            "config/runtime.exs": REPO,
        }
    )
    assert set(found) == {"A.Jobs", "A.Cron", ":oban"}
    assert all(o.repo == "A.Repo" and o.repo_defined and o.app == "a" for o in found.values())


def test_notifier_merged_across_files_for_prod_only() -> None:
    base = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 1]\n"
        'import_config "#{config_env()}.exs"\n',
        "config/test.exs": "config :a, Oban, testing: :inline, notifier: Oban.Notifiers.PG\n",
        "config/prod.exs": "",
        "config/runtime.exs": REPO,
    }
    oban = obans(base)["Oban"]
    assert (oban.notifier, oban.notifier_explicit) == ("Oban.Notifiers.Postgres", False)
    assert oban.anchor is not None and oban.anchor[0].endswith("config.exs")
    runtime = REPO + "if config_env() == :prod, do: config(:a, Oban, notifier: Oban.Notifiers.PG)\n"
    assert obans({**base, "config/runtime.exs": runtime})["Oban"].notifier == "Oban.Notifiers.PG"


@pytest.mark.parametrize(
    ("prelude", "notifier", "expected"),
    [
        ("alias Oban.Notifiers.PG\n", "PG", "Oban.Notifiers.PG"),
        ("alias Oban.Notifiers.{PG, Postgres}\n", "Postgres", "Oban.Notifiers.Postgres"),
        ("alias Oban.Notifiers.Postgres, as: Listen\n", "Listen", "Oban.Notifiers.Postgres"),
        ("alias Oban.Notifiers\n", "Notifiers.PG", "Oban.Notifiers.PG"),
        ("", "PG", "PG"),  # not aliased: an unknown module, never taken for Oban's
        ("", "Oban.PostgresNotifier", "Oban.PostgresNotifier"),
        ("", "Oban.Pro.Notifiers.PG", "Oban.Pro.Notifiers.PG"),
        ("", "{Oban.Notifiers.Phoenix, pubsub: A.PubSub}", "Oban.Notifiers.Phoenix"),
        ("notifier = Oban.Notifiers.PG\n", "notifier", "Oban.Notifiers.PG"),
        ("", "notifier_from_somewhere", None),
        ("", 'Module.concat([System.get_env("N")])', None),
    ],
)
def test_notifier_names(prelude: str, notifier: str, expected: str | None) -> None:
    config = f"{prelude}config :a, Oban, repo: A.Repo, queues: [default: 1], notifier: {notifier}\n"
    oban = obans({"config/config.exs": config, "config/runtime.exs": REPO})["Oban"]
    assert oban.notifier == expected and oban.notifier_explicit


def test_an_alias_counts_only_after_it_and_in_its_own_file() -> None:
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, notifier: PG\n"
        'alias Oban.Notifiers.PG\nimport_config "prod.exs"\n',
        "config/prod.exs": "config :a, A.Jobs, repo: A.Repo, queues: [a: 1], notifier: PG\n",
        "config/runtime.exs": REPO,
    }
    found = obans(files)
    assert found["Oban"].notifier == "PG" and found["A.Jobs"].notifier == "PG"


@pytest.mark.parametrize(
    ("engine_value", "expected"),
    [
        ("Oban.Engines.Basic", "Oban.Notifiers.Postgres"),
        ("Oban.Pro.Engines.Smart", "Oban.Notifiers.Postgres"),
        ("Oban.Engines.Lite", "Oban.Notifiers.PG"),
        ("Oban.Engines.Dolphin", "Oban.Notifiers.PG"),
        ("engine_from_env()", None),
    ],
)
def test_the_default_notifier_follows_the_engine(engine_value: str, expected: str | None) -> None:
    config = f"config :a, Oban, repo: A.Repo, queues: [default: 1], engine: {engine_value}\n"
    oban = obans({"config/config.exs": config, "config/runtime.exs": REPO})["Oban"]
    assert oban.notifier == expected and not oban.notifier_explicit


def test_options_that_cannot_be_read_leave_the_notifier_unknown() -> None:
    config = "config :a, Oban, repo: A.Repo, queues: [a: 1]\nconfig :a, Oban, oban_overrides()\n"
    oban = obans({"config/config.exs": config, "config/runtime.exs": REPO})["Oban"]
    assert oban.notifier is None and not oban.knows("plugins") and oban.knows("repo")


@pytest.mark.parametrize(
    ("config", "repo"),
    [
        ("config :a, Oban, repo: A.Repo, queues: [a: 1]", "A.Repo"),
        ("config :a, Oban, repo: {A.Repo, log: false}, queues: [a: 1]", "A.Repo"),
        ("oban_repo = A.ObanRepo\nconfig :a, Oban, repo: oban_repo, queues: [a: 1]", "A.ObanRepo"),
        ("alias A.ObanRepo, as: Jobs\nconfig :a, Oban, repo: Jobs, queues: [a: 1]", "A.ObanRepo"),
        ("config :a, Oban, repo: repo_from_elsewhere, queues: [a: 1]", None),
    ],
)
def test_repo_values(config: str, repo: str | None) -> None:
    v = engine({"config/config.exs": config + "\n", "config/runtime.exs": REPO}).view(ROOT)
    (oban,) = v.obans
    assert oban.repo == repo
    if repo is not None:
        assert repo in v.repos  # classified like any other repo


def test_a_repo_is_defined_by_config_or_by_a_module() -> None:
    config = (
        "config :a, Oban, repo: A.Repo, queues: [a: 1]\n"
        "config :a, A.Jobs, repo: A.JobsRepo, queues: [j: 1]\n"
        "config :a, A.Ghost, repo: A.GhostRepo, queues: [g: 1]\n"
    )
    lib = "defmodule A.JobsRepo do\n  use Ecto.Repo, otp_app: :a\nend\n"
    found = obans(
        {"config/config.exs": config, "config/runtime.exs": REPO, "lib/a/jobs_repo.ex": lib}
    )
    assert found["Oban"].repo_defined and found["A.Jobs"].repo_defined
    assert not found["A.Ghost"].repo_defined


# -- started in application.ex ----------------------------------------------------------------


def test_a_child_with_its_options_written_out() -> None:
    children = (
        "    children = [\n"
        "      A.Repo,\n"
        "      {Oban, repo: A.Repo, queues: [default: 5]},\n"
        "      {Oban, name: A.Mailer, repo: Repo, notifier: PG, queues: [mail: 1]}\n"
        "    ]\n"
    )
    before = "  alias A.Repo\n  alias Oban.Notifiers.PG\n"
    v = engine({"config/runtime.exs": REPO, "lib/a/application.ex": app(children, before)}).view(
        ROOT
    )
    found = {o.name: o for o in v.obans}
    assert set(found) == {"Oban", "A.Mailer"}
    plain, mailer = found["Oban"], found["A.Mailer"]
    assert plain.started_in is not None and plain.started_in.endswith("lib/a/application.ex")
    assert plain.anchor is not None and plain.anchor[0] == plain.started_in
    assert plain.anchor_options is not None and plain.anchor_options[0] == plain.started_in
    assert (plain.repo, plain.notifier, plain.app) == ("A.Repo", "Oban.Notifiers.Postgres", "a")
    assert (mailer.repo, mailer.notifier) == ("A.Repo", "Oban.Notifiers.PG")


@pytest.mark.parametrize(
    ("children", "helpers"),
    [
        (
            "    children = [{Oban, Application.fetch_env!(:a, Oban) |> Keyword.put(:notifier, "
            "Oban.Notifiers.PG)}]\n",
            "",
        ),
        (
            "    children = [{Oban, Keyword.put(Application.fetch_env!(:a, Oban), :notifier, "
            "Oban.Notifiers.PG)}]\n",
            "",
        ),
        (
            "    children = [{Oban, Keyword.merge(Application.get_env(:a, Oban), notifier: "
            "Oban.Notifiers.PG)}]\n",
            "",
        ),
        (
            "    children = [{Oban, Application.fetch_env!(:a, Oban) |> Keyword.merge([notifier: "
            "Oban.Notifiers.PG])}]\n",
            "",
        ),
        (
            "    opts = Application.fetch_env!(:a, Oban)\n"
            "    opts = Keyword.put(opts, :notifier, Oban.Notifiers.PG)\n"
            "    children = [{Oban, opts}]\n",
            "",
        ),
        (
            "    children = [{Oban, oban_config()}]\n",
            "  defp oban_config do\n    :a\n    |> Application.fetch_env!(Oban)\n"
            "    |> Keyword.put(:notifier, Oban.Notifiers.PG)\n  end\n",
        ),
        (
            "    children = [{Oban, oban_config()}]\n",
            "  defp oban_config, do: Keyword.put(Application.fetch_env!(:a, Oban), :notifier, "
            "Oban.Notifiers.PG)\n",
        ),
    ],
)
def test_a_child_that_sets_the_notifier_on_the_config(children: str, helpers: str) -> None:
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children, helpers=helpers),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.name == "Oban" and oban.repo == "A.Repo"
    assert (oban.notifier, oban.notifier_explicit) == ("Oban.Notifiers.PG", True)
    notifier = oban.options.get("notifier")
    assert notifier is not None and notifier[0].endswith("application.ex")
    assert oban.anchor is not None and oban.anchor[0].endswith(
        "config.exs"
    )  # missing keys go in config
    assert codes(files) == []


def test_keyword_steps_in_order() -> None:
    children = (
        "    children = [\n"
        "      {Oban, Application.fetch_env!(:a, Oban)\n"
        "             |> Keyword.put_new(:notifier, Oban.Notifiers.PG)\n"
        "             |> Keyword.delete(:plugins)\n"
        "             |> Keyword.update!(:queues, &(&1 ++ [extra: 1]))}\n"
        "    ]\n"
    )
    config = (
        "config :a, Oban, repo: A.Repo, notifier: Oban.Notifiers.Postgres, plugins: "
        "[Oban.Plugins.Pruner], queues: [a: 1]\n"
    )
    files = {
        "config/config.exs": config,
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.notifier == "Oban.Notifiers.Postgres"  # put_new leaves a set key alone
    assert "plugins" not in oban.options.pairs and oban.knows("plugins")
    assert not oban.knows("queues")


def test_a_child_that_changes_the_config_unreadably_says_less() -> None:
    children = (
        "    children = [{Oban, AshOban.config(Application.fetch_env!(:a, :domains), "
        "Application.fetch_env!(:a, Oban))}]\n"
    )
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.notifier is None and oban.options.opaque and oban.repo == "A.Repo"
    assert codes(files) == []


def test_a_child_read_from_elsewhere_leaves_the_config_as_it_is() -> None:
    children = "    children = [{Oban, A.Config.oban()}]\n"
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.started_in is None and oban.notifier == "Oban.Notifiers.Postgres"
    assert codes(files) == [("MPG201", "config.exs", 1)]


def test_config_under_a_name_a_written_out_child_takes_is_left_over() -> None:
    children = (
        "    children = [{Oban, repo: A.Repo, notifier: Oban.Notifiers.PG, queues: [a: 1]}]\n"
    )
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.started_in is not None and oban.notifier == "Oban.Notifiers.PG"
    assert codes(files) == []


def test_the_same_child_in_two_branches_counts_once() -> None:
    children = (
        "    children = if web?(), do: [{Oban, Application.fetch_env!(:a, Oban)}], "
        "else: [A.Repo, {Oban, Application.fetch_env!(:a, Oban)}]\n"
    )
    files = {
        "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
        "config/runtime.exs": REPO,
        "lib/a/application.ex": app(children),
    }
    assert len(engine(files).view(ROOT).obans) == 1
    assert codes(files) == [("MPG201", "config.exs", 1)]


def test_only_application_ex_starts_children() -> None:
    sup = app("    children = [{Oban, repo: A.Repo, queues: [a: 1]}]\n").replace(
        "A.Application", "A.Jobs.Supervisor"
    )
    assert (
        engine({"config/runtime.exs": REPO, "lib/a/jobs/supervisor.ex": sup}).view(ROOT).obans == []
    )


def test_an_umbrella_app_child() -> None:
    files = {
        "apps/core/mix.exs": MIX,
        "config/runtime.exs": REPO,
        "apps/core/lib/core/application.ex": app(
            "    children = [{Oban, repo: A.Repo, queues: [a: 1]}]\n"
        ),
    }
    (oban,) = engine(files).view(ROOT).obans
    assert oban.started_in is not None and oban.started_in.endswith(
        "apps/core/lib/core/application.ex"
    )


# -- rules on top of the model ------------------------------------------------------------------


BASE = {
    "config/config.exs": "config :a, Oban, repo: A.Repo, queues: [default: 10]\n",
    "config/runtime.exs": REPO,
}


def test_polling_fallback_needs_an_old_oban_and_transaction_mode() -> None:
    assert codes({**BASE, "mix.lock": LOCK.format("2.13.6")}) == [
        ("MPG201", "config.exs", 1),
        ("MPG203", "config.exs", 1),
    ]
    assert codes({**BASE, "mix.lock": LOCK.format("2.14.0")}) == [("MPG201", "config.exs", 1)]
    assert codes(BASE) == [("MPG201", "config.exs", 1)]  # no lock: the version is unknown
    assert codes({**BASE, "mix.lock": LOCK.format("2.13.6")}, poolMode="session") == []


def test_polling_fallback_when_plugins_cannot_be_read() -> None:
    config = "config :a, Oban, repo: A.Repo, queues: [a: 1], plugins: plugins_for(:prod)\n"
    assert codes({**BASE, "config/config.exs": config, "mix.lock": LOCK.format("2.13.6")}) == [
        ("MPG201", "config.exs", 1)
    ]


def test_the_phoenix_notifier_package_in_the_lock_counts() -> None:
    config = (
        "config :a, Oban, repo: A.Repo, queues: [a: 1], notifier: {Oban.Notifiers.Phoenix, "
        "pubsub: A.PubSub}\n"
    )
    files = {**BASE, "config/config.exs": config}
    assert codes(files) == [("MPG204", "config.exs", 1)]
    lock = (
        "%{\n"
        '  "oban_notifiers_phoenix": {:hex, :oban_notifiers_phoenix, "0.2.2", "a", [:mix], [], '
        '"hexpm", "b"},\n}\n'
    )
    assert codes({**files, "mix.lock": lock}) == []


def test_pubsub_fix_needs_a_known_pubsub() -> None:
    config = "config :a, Oban, repo: A.Repo, queues: [a: 1], notifier: Oban.Notifiers.Phoenix\n"
    eng = engine({**BASE, "config/config.exs": config})
    (finding,) = [f for f in eng.findings(ROOT) if f.code == "MPG205"]
    assert "MyApp.PubSub" in finding.message and not any(f.preferred for f in finding.fixes)
    config += "config :a, AWeb.Endpoint, pubsub_server: A.PubSub\n"
    eng = engine({**BASE, "config/config.exs": config})
    (finding,) = [f for f in eng.findings(ROOT) if f.code == "MPG205"]
    assert finding.fixes[0].preferred
    assert finding.fixes[0].edits[0].text == "{Oban.Notifiers.Phoenix, pubsub: A.PubSub}"


def test_peer_rename_needs_2_19() -> None:
    config = (
        "config :a, Oban, repo: A.Repo, queues: [a: 1], notifier: Oban.Notifiers.PG, peer: "
        "Oban.Peers.Postgres\n"
    )
    files = {**BASE, "config/config.exs": config}
    assert codes({**files, "mix.lock": LOCK.format("2.18.3")}) == []
    assert codes(files) == []
    assert codes({**files, "mix.lock": LOCK.format("2.19.0")}) == [("MPG207", "config.exs", 1)]


def test_repo_config_fix_without_runtime_exs_offers_nothing() -> None:
    config = (
        "config :a, Oban, repo: A.ObanRepo, queues: [a: 1], notifier: Oban.Notifiers.PG\n" + REPO
    )
    eng = engine({"config/config.exs": config})
    (finding,) = [f for f in eng.findings(ROOT) if f.code == "MPG206"]
    assert not any(f.preferred for f in finding.fixes)


def test_repo_config_fix_uses_the_config_app_and_the_direct_variable_in_use() -> None:
    config = (
        "config :shop_core, Oban, repo: Shop.ObanRepo, queues: [a: 1], notifier: "
        "Oban.Notifiers.PG\n"
    )
    runtime = (
        REPO + 'if config_env() == :prod do\n  jobs = System.get_env("DATABASE_DIRECT_URL")\nend\n'
    )
    eng = engine({"config/config.exs": config, "config/runtime.exs": runtime})
    (finding,) = [f for f in eng.findings(ROOT) if f.code == "MPG206"]
    (edit,) = finding.fixes[0].edits
    assert edit.path.endswith("runtime.exs")
    assert edit.text == (
        "\n\n  config :shop_core, Shop.ObanRepo,\n"
        '    url: System.fetch_env!("DATABASE_DIRECT_URL"),\n'
        "    pool_size: 2,\n"
        "    socket_options: [:inet6]"
    )
