"""The prod view: which config counts, how repos are classified, when the gate opens."""

from __future__ import annotations

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.project.elixir_config import Admits, condition_admits
from mpg_lsp.project.mix import read_lock
from mpg_lsp.project.workspace import find_root
from mpg_lsp.settings import Settings
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang
from projects import MIX, MemoryFileSystem

ROOT = "/proj"


def view(files: dict[str, str], **settings: object):
    fs = MemoryFileSystem(ROOT, {"mix.exs": MIX, **files})
    engine = Engine(fs)
    if settings:
        engine.editor_settings = settings
    return engine.view(ROOT)


@pytest.mark.parametrize(
    ("runtime", "kind", "var"),
    [
        ('config :a, A.Repo, url: System.fetch_env!("DATABASE_URL")', "pooled", "DATABASE_URL"),
        (
            'db = System.get_env("DATABASE_URL") || raise "missing"\nconfig :a, A.Repo, url: db',
            "pooled",
            "DATABASE_URL",
        ),
        ('config :a, A.Repo, url: {:system, "DATABASE_URL"}', "pooled", "DATABASE_URL"),
        (
            'config :a, A.Repo, url: System.get_env("DIRECT_DATABASE_URL")',
            "direct",
            "DIRECT_DATABASE_URL",
        ),
        (
            'config :a, A.Repo, url: System.get_env("DATABASE_URL_UNPOOLED")',
            "direct",
            "DATABASE_URL_UNPOOLED",
        ),
        ('config :a, A.Repo, url: "postgres://u:p@pgbouncer.c1.flympg.net/db"', "pooled", None),
        ('config :a, A.Repo, url: "postgres://u:p@direct.c1.flympg.net/db"', "direct", None),
        ('config :a, A.Repo, url: "postgres://u:p@db.internal:6432/db"', "pooled", None),
        ('config :a, A.Repo, hostname: "pgbouncer.c1.flympg.net", database: "db"', "pooled", None),
        ('config :a, A.Repo, url: required_env.("DATABASE_URL")', "pooled", "DATABASE_URL"),
        ('config :a, A.Repo, url: env!("DATABASE_URL", :string!)', "pooled", "DATABASE_URL"),
        (
            'config :a, A.Repo, url: get_var_from_path_or_env(dir, "DATABASE_URL", "postgres://x")',
            "pooled",
            "DATABASE_URL",
        ),
        ('config :a, A.Repo, url: helper.("SOMETHING")', "unknown", None),
        ("config :a, A.Repo, url: build_url()", "unknown", None),
        ("config :a, A.Repo, hostname: host, database: db", "unknown", None),
    ],
)
def test_repo_classification(runtime: str, kind: str, var: str | None) -> None:
    repo = view({"config/runtime.exs": runtime}).repos["A.Repo"]
    assert (repo.kind, repo.url_var) == (kind, var)


def test_configured_env_var_names() -> None:
    runtime = 'config :a, A.Repo, url: System.get_env("PRIMARY_PG")'
    assert view({"config/runtime.exs": runtime}).repos["A.Repo"].kind == "pooled"
    assert (
        view({"config/runtime.exs": runtime}, directEnvVars=["PRIMARY_PG"]).repos["A.Repo"].kind
        == "direct"
    )


def _cond(src: str) -> Admits:
    doc = Document("x.exs", Lang.ELIXIR, f"if {src} do\n  x\nend\n".encode())
    call = doc.tree.root_node.named_children[0]
    target = call.child_by_field_name("target")
    assert target is not None
    args = target.next_named_sibling  # arguments
    assert args is not None
    return condition_admits(args.named_children[0])


@pytest.mark.parametrize(
    ("condition", "admits"),
    [
        ("config_env() == :prod", Admits.YES),
        (":prod == config_env()", Admits.YES),
        ("config_env() == :dev", Admits.NO),
        ("config_env() != :test", Admits.YES),
        ("config_env() != :prod", Admits.NO),
        ("Mix.env() == :prod", Admits.YES),
        ("config_env() in [:prod, :staging]", Admits.YES),
        ("config_env() not in [:dev, :test]", Admits.YES),
        ("config_env() in ~w(dev test)a", Admits.NO),
        ("not (config_env() == :prod)", Admits.NO),
        ('config_env() == :prod and System.get_env("X")', Admits.MAYBE),
        ('config_env() == :dev and System.get_env("X")', Admits.NO),
        ('System.get_env("PHX_SERVER")', Admits.MAYBE),
    ],
)
def test_environment_guards(condition: str, admits: Admits) -> None:
    assert _cond(condition) is admits


def test_prod_view_merges_like_config_and_skips_other_envs() -> None:
    v = view(
        {
            "config/config.exs": "import Config\n"
            "config :a, A.Repo, pool_size: 5, prepare: :named\n"
            'import_config "#{config_env()}.exs"\n',
            "config/prod.exs": "import Config\nconfig :a, A.Repo, pool_size: 7\n",
            "config/dev.exs": "import Config\n"
            "config :a, A.Repo, pool_size: 99, prepare: :unnamed\n",
            "config/runtime.exs": "import Config\nif config_env() == :test do\n"
            "  config :a, A.Repo, prepare: :unnamed\nend\n"
            'config :a, A.Repo, url: System.get_env("DATABASE_URL")\n',
        }
    )
    repo = v.repos["A.Repo"]
    assert repo.options.value("pool_size").value == 7
    assert repo.options.value("prepare").name == "named"
    assert v.config_paths == [
        f"{ROOT}/config/config.exs",
        f"{ROOT}/config/prod.exs",
        f"{ROOT}/config/runtime.exs",
    ]
    assert repo.anchor is not None and repo.anchor.path.endswith("runtime.exs")


def test_the_gate() -> None:
    runtime = {"config/runtime.exs": 'config :a, A.Repo, url: System.get_env("DATABASE_URL")'}
    assert not view(runtime).gate_open  # a Postgres repo, no Fly config, no evidence
    assert view({**runtime, "fly.toml": 'app = "a"\n'}).gate_open
    assert view({**runtime, "fly.staging.toml": 'app = "a"\n'}).gate_open
    evidence = {
        "config/runtime.exs": runtime["config/runtime.exs"]
        + '\n# direct: System.get_env("DIRECT_DATABASE_URL")'
    }
    assert view(evidence).gate_open and view(evidence).evidence
    assert view(runtime, enabled=True).gate_open
    assert not view({**runtime, "fly.toml": ""}, enabled=False).gate_open


def test_non_postgres_adapter_is_not_ours() -> None:
    v = view(
        {
            "config/runtime.exs": 'config :a, A.Repo, url: System.get_env("DATABASE_URL")\n'
            'config :a, A.ChRepo, url: System.get_env("CH_URL")',
            "lib/a/ch_repo.ex": "defmodule A.ChRepo do\n"
            "  use Ecto.Repo, otp_app: :a, adapter: Ecto.Adapters.ClickHouse\nend\n",
        }
    )
    assert v.repos["A.Repo"].postgres and not v.repos["A.ChRepo"].postgres


def test_umbrella_root() -> None:
    fs = MemoryFileSystem(
        ROOT, {"mix.exs": "", "apps/web/mix.exs": "", "apps/web/config/x.exs": ""}
    )
    assert find_root(f"{ROOT}/apps/web/config/x.exs", fs) == ROOT
    assert find_root(f"{ROOT}/config/runtime.exs", fs) == ROOT


def test_mix_lock_shapes() -> None:
    text = (
        '%{\n  "oban": {:hex, :oban, "2.13.6", "abc", [:mix], [], "hexpm", "def"},\n'
        '  "bunt": {:hex, :bunt, "0.2.0", "abc", [:mix], [], "hexpm"},\n'
        '  "heroicons": {:git, "https://github.com/tailwindlabs/heroicons.git", "88ab", [tag: '
        '"v2.2.0"]},\n}\n'
    )
    lock = read_lock(Document("mix.lock", Lang.ELIXIR, text.encode()))
    assert lock.version("oban") == (2, 13, 6)
    assert lock.version("bunt") == (0, 2, 0)
    assert "heroicons" in lock.packages and lock.version("heroicons") is None


def test_broken_input_never_raises_and_invents_nothing() -> None:
    v = view(
        {
            "config/runtime.exs": 'config :a, A.Repo, url: System.get_env("DATABASE_URL"), '
            "pool_size: (",
            "fly.toml": "[deploy\nrelease_command = '/app/bin/migrate",
            "mix.lock": "%{ not a lock",
        }
    )
    assert "A.Repo" not in v.repos or not v.repos["A.Repo"].options.calls
    assert all(f.facts.release_command is None for f in v.fly)


def test_settings_defaults() -> None:
    s = Settings()
    assert s.is_direct_var("DIRECT_DATABASE_URL") and s.is_direct_var("DATABASE_URL_UNPOOLED")
    assert not s.is_direct_var("DATABASE_URL") and s.is_pooled_var("DATABASE_URL")


def test_select_and_ignore_take_codes_and_prefixes() -> None:
    s = Settings(ignore=frozenset({"MPG2"}))
    assert not s.rule_enabled("MPG201") and s.rule_enabled("MPG101")
    s = Settings(ignore=frozenset({"MPG2*"}), select=frozenset({"MPG20", "MPG101"}))
    assert (
        not s.rule_enabled("MPG201") and s.rule_enabled("MPG101") and not s.rule_enabled("MPG102")
    )
    assert Settings(select=frozenset({"MPG1"})).rule_enabled("MPG104")


def test_forgetting_a_project_reads_it_afresh_and_leaves_open_files() -> None:
    """The CLI forgets each project once it is reported (so a large run holds one project at a
    time); a project checked again after that must reflect the disk, not stale facts."""
    runtime = 'import Config\nconfig :a, A.Repo, url: System.get_env("DATABASE_URL")\n'
    fs = MemoryFileSystem(
        ROOT, {"mix.exs": MIX, "config/runtime.exs": runtime, "fly.toml": 'app = "a"\n'}
    )
    engine = Engine(fs)

    def codes() -> set[str]:
        return {f.code for f in engine.findings(ROOT)}

    assert "MPG101" in codes()
    fs.files[f"{ROOT}/config/runtime.exs"] = runtime.replace(
        '")\n', '"), prepare: :unnamed\n'
    ).encode()
    assert "MPG101" in codes()  # nothing said the disk changed
    engine.forget(ROOT)
    assert "MPG101" not in codes()
    engine.ws.open(f"{ROOT}/config/runtime.exs", runtime.encode(), 1)  # an editor buffer wins
    engine.forget(ROOT)
    assert "MPG101" in codes()


@pytest.mark.parametrize(
    "opts",
    [
        "enabled: true, limit: 3",
        "enabled: true, pool_size: 3",
        "[enabled: true, limit: 3]",
        "[enabled: true, url: x]",
        "[\n  # a comment\n  enabled: true,\n  ssl: true\n]",
        "[]",
        "[{:url, x}]",
        "[{:limit, 3}]",
        '"url": x, limit: 3',
        '"limit": x',
        "Keyword.merge(base, limit: 3)",
        "opts",
        "[1, 2]",
    ],
)
@pytest.mark.parametrize("key", ["MyAppWeb.Feature", "MyApp.Repo", ":limits", "MyAppWeb.Endpoint"])
def test_unread_config_values_are_exactly_the_irrelevant_ones(key: str, opts: str) -> None:
    """Opening a big config file reads a `config` call's values only when the call can matter;
    the decision, made from option names alone, must never drop what `is_relevant` of the full
    read keeps, and must skip plain keyword lists exactly when it would drop them."""
    from mpg_lsp.project.elixir_config import ConfigCall, _config_may_matter, is_relevant
    from mpg_lsp.project.values import Anchor, read_value, span_of

    source = f"config :my_app, {key}, {opts}\n".encode()
    doc = Document("/p/config/config.exs", Lang.ELIXIR, source)
    call = doc.tree.root_node.named_children[0]
    args = [c for c in call.named_children if c.type == "arguments"][0].named_children
    opts_node = args[-1]
    anchor = Anchor(0)
    full = ConfigCall(
        "my_app",
        key,
        span_of(args[1], anchor, 0),
        read_value(opts_node, anchor, 0),
        span_of(call, anchor, 0),
        Admits.YES,
        (),
    )
    may_matter = _config_may_matter(key, opts_node)
    assert may_matter or not is_relevant(full)  # never skips a call the prod view needs
    plain = opts_node.type == "keywords" or (
        opts.startswith("[") and ("{" not in opts and opts != "[1, 2]")
    )
    if plain:
        assert may_matter == is_relevant(full)  # and skips every plain keyword list it can
