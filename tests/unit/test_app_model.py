"""The whole app as the model reads it: children anywhere under lib/, literal SQL, the
Dockerfile's final stage, scripts, [env] literals, and what it costs (files read and parsed)."""

from __future__ import annotations

from mpg_lsp.engine import Engine
from mpg_lsp.project.sql import session_statements
from mpg_lsp.project.urls import classify_url
from projects import MIX, MemoryFileSystem

ROOT = "/proj"
RUNTIME = 'import Config\nconfig :a, A.Repo, url: System.fetch_env!("DATABASE_URL")\n'


class CountingFS(MemoryFileSystem):
    def __init__(self, root: str, files: dict[str, str]) -> None:
        super().__init__(root, files)
        self.reads: list[str] = []

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return super().read(path)


def engine_for(files: dict[str, str]) -> tuple[Engine, CountingFS]:
    fs = CountingFS(ROOT, {"mix.exs": MIX, "config/runtime.exs": RUNTIME, **files})
    return Engine(fs), fs


def test_children_anywhere_under_lib() -> None:
    engine, _ = engine_for(
        {
            "lib/a/listeners/supervisor.ex": """defmodule A.Listeners.Supervisor do
  use Supervisor
  alias A.Repo
  def init(_) do
    children = [
      {EctoWatch, repo: Repo, pub_sub: A.PubSub, watchers: []},
      {Postgrex.Notifications, Repo.config() ++ [name: A.Notifications]},
      {Ecto.Migrator, repos: [A.Repo], skip: skip_migrations?()},
      {DNSCluster, query: "a.internal"}
    ]
    Supervisor.init(children, strategy: :one_for_one)
  end
  defp skip_migrations?, do: System.get_env("RELEASE_NAME") != nil
end
""",
        }
    )
    app = engine.view(ROOT).app
    assert [(c.kind, c.repo, c.repo_is_config) for c in app.listen] == [
        ("EctoWatch", "A.Repo", False),
        ("Postgrex.Notifications", "A.Repo", True),
    ]
    (migrator,) = app.migrators
    assert (migrator.repos, migrator.skip) == (("A.Repo",), "true")
    assert app.cluster == ("DNSCluster",)


def test_libcluster_topology_in_config() -> None:
    engine, _ = engine_for(
        {
            "config/config.exs": "import Config\n"
            "config :libcluster, topologies: [pg: [strategy: LibclusterPostgres.Strategy, "
            "config: A.Repo.config()]]\n",
        }
    )
    (client,) = engine.view(ROOT).app.listen
    assert (client.kind, client.repo) == ("libcluster", "A.Repo")


def test_session_statements_in_sql() -> None:
    kinds = lambda sql: [k for k, _, _ in session_statements(sql)]  # noqa: E731
    assert kinds("SELECT pg_advisory_lock(1)") == ["advisory-lock"]
    assert kinds("SELECT pg_try_advisory_lock($1)") == ["advisory-lock"]
    assert kinds("SELECT pg_advisory_xact_lock(1)") == []
    assert kinds("SET search_path TO app") == ["set"]
    assert kinds("SET LOCAL search_path TO app") == []
    assert kinds("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE") == []
    assert kinds("UPDATE t SET a = 1; ALTER TABLE t ALTER c SET DEFAULT 0") == []
    assert kinds("LISTEN jobs") == ["listen"]
    assert kinds("CREATE TEMP TABLE t (id int)") == ["temp-table"]
    assert kinds("CREATE TEMPORARY TABLE t (id int) ON COMMIT DROP") == []
    assert kinds("DECLARE c CURSOR WITH HOLD FOR SELECT 1") == ["hold-cursor"]
    assert kinds("PREPARE q AS SELECT 1; DEALLOCATE q") == ["prepare", "prepare"]
    assert kinds("SELECT 'SET x TO 1' -- LISTEN y") == []


def test_sql_calls_and_transactions() -> None:
    engine, _ = engine_for(
        {
            "lib/a/locks.ex": """defmodule A.Locks do
  alias A.Repo
  def run do
    Repo.query!("SELECT pg_advisory_lock(42)")
    Repo.transaction(fn -> Repo.query!("SET search_path TO tenant") end)
    Ecto.Adapters.SQL.query(A.Repo, "LISTEN events", [])
    Repo.query!("SELECT pg_advisory_xact_lock(1)")
  end
end
""",
        }
    )
    calls = engine.view(ROOT).app.sql
    assert [(c.repo, c.in_transaction, [s.kind for s in c.statements]) for c in calls] == [
        ("A.Repo", False, ["advisory-lock"]),
        ("A.Repo", True, ["set"]),
        ("A.Repo", False, ["listen"]),
    ]


def test_dockerfile_final_stage_and_env() -> None:
    engine, _ = engine_for(
        {
            "Dockerfile": 'FROM elixir AS build\nENV ECTO_IPV6=false\nCMD ["mix"]\n'
            "FROM debian:bookworm\nENV ECTO_IPV6 true\n"
            'ENTRYPOINT ["/bin/sh", "-c"]\nCMD /app/bin/migrate && /app/bin/server\n',
        }
    )
    app = engine.view(ROOT).app
    assert app.dockerfile is not None
    assert [i.keyword for i in app.dockerfile.final] == ["ENV", "ENTRYPOINT", "CMD"]
    assert [(v, s < e) for _, v, s, e in app.ipv6_env] == [("true", True)]
    assert [(b.where, b.text) for b in app.boot] == [
        ("ENTRYPOINT", "/bin/sh -c"),
        ("CMD", "/app/bin/migrate && /app/bin/server"),
    ]


def test_manual_migrations_in_scripts_and_workflows() -> None:
    engine, _ = engine_for(
        {
            "Makefile": 'migrate:\n\tfly ssh console -C "/app/bin/migrate"\n',
            ".github/workflows/deploy.yml": "jobs:\n  d:\n    steps:\n"
            "      - run: flyctl ssh console --command '/app/bin/a eval A.Release.migrate'\n",
            "scripts/other.sh": "fly ssh console -C 'ls'\n",
        }
    )
    manual = engine.view(ROOT).app.manual
    assert sorted((m.path.rsplit("/", 1)[-1], m.command, m.makefile) for m in manual) == [
        ("Makefile", "/app/bin/migrate", True),
        ("deploy.yml", "/app/bin/a eval A.Release.migrate", False),
    ]


def test_env_literal_resolves_a_hostname_and_pooler_hosts_take_any_port() -> None:
    engine, _ = engine_for(
        {
            "config/runtime.exs": "import Config\n"
            'config :a, A.Repo, hostname: System.get_env("DATABASE_HOST"), database: "a"\n',
            "fly.toml": 'app = "a"\n[env]\n  DATABASE_HOST = "pgbouncer.c1.flympg.net"\n',
        }
    )
    assert engine.view(ROOT).repos["A.Repo"].kind == "pooled"
    assert classify_url("postgres://u:p@pgbouncer.c1.flympg.net:6789/db") == "pooled"


def test_untriggered_lib_files_are_not_parsed_and_a_keystroke_does_not_reread_lib() -> None:
    plain = {
        f"lib/a/ctx{i}.ex": f"defmodule A.Ctx{i} do\n  def f, do: {i}\nend\n" for i in range(50)
    }
    engine, fs = engine_for(
        {**plain, "lib/a/repo.ex": "defmodule A.Repo do\n  use Ecto.Repo, otp_app: :a\nend\n"}
    )
    view = engine.view(ROOT)
    assert f"{ROOT}/lib/a/repo.ex" in view.docs
    assert not any(p.startswith(f"{ROOT}/lib/a/ctx") for p in view.docs)
    runtime = f"{ROOT}/config/runtime.exs"
    doc = engine.ws.open(runtime, RUNTIME.encode(), 1)
    assert doc is not None
    fs.reads.clear()
    for text in (b"pool_size: 5\n", b"pool_size: 6\n"):
        doc.edit(len(doc.text), len(doc.text), text)
        doc.reparse()
        engine.findings(ROOT)
    assert not [p for p in fs.reads if "/lib/" in p]


def test_a_url_chosen_by_a_condition_is_classified_per_branch() -> None:
    def repo(url: str):  # noqa: ANN202
        engine, _ = engine_for(
            {"config/runtime.exs": f"import Config\nconfig :a, A.Repo, url: {url}\n"}
        )
        return engine.view(ROOT).repos["A.Repo"]

    direct, pooled = 'System.fetch_env!("DIRECT_DATABASE_URL")', 'System.fetch_env!("DATABASE_URL")'
    released = repo(f'if System.get_env("RELEASE_COMMAND"), do: {direct}, else: {pooled}')
    assert (released.kind, released.during(True)) == ("pooled", ("direct", "DIRECT_DATABASE_URL"))
    inverted = repo(f'unless System.get_env("RELEASE_COMMAND"), do: {direct}, else: {pooled}')
    assert (inverted.kind, inverted.during(True)[0]) == ("direct", "pooled")
    # a condition mpg-lsp cannot judge: say less
    assert repo(f'if System.get_env("PRIMARY"), do: {direct}, else: {pooled}').kind == "unknown"
    either = repo(f'if System.get_env("PRIMARY"), do: {pooled}, else: System.get_env("DB")')
    assert either.kind == "pooled"


def test_a_simple_connection_counts_only_when_it_listens() -> None:
    quiet = (
        "defmodule A.Ping do\n  use Postgrex.SimpleConnection\n"
        "  def start_link(o), do: Postgrex.SimpleConnection.start_link(__MODULE__, o, "
        "A.Repo.config())\n"
        '  def handle_connect(s), do: {:query, "SELECT 1", s}\nend\n'
    )
    engine, _ = engine_for({"lib/a/ping.ex": quiet})
    assert engine.view(ROOT).app.listen == ()
    loud = quiet.replace("SELECT 1", "LISTEN events")
    engine, _ = engine_for({"lib/a/ping.ex": loud})
    assert [c.kind for c in engine.view(ROOT).app.listen] == ["Postgrex.SimpleConnection"]


def test_a_suppression_comment_in_a_dockerfile() -> None:
    fly = 'app = "a"\n[deploy]\n  release_command = "/bin/sh -lc \'DATABASE_URL=$D bin/migrate\'"\n'
    docker = 'FROM debian\n{}ENTRYPOINT ["/bin/sh", "-c"]\nCMD ["/app/bin/server"]\n'
    engine, _ = engine_for({"fly.toml": fly, "Dockerfile": docker.format("")})
    assert [f.code for f in engine.findings(ROOT) if "Dockerfile" in f.path] == ["MPG308"]
    quiet = docker.format("# mpg-lsp: ignore MPG308\n")
    engine, _ = engine_for({"fly.toml": fly, "Dockerfile": quiet})
    assert [f.code for f in engine.findings(ROOT) if "Dockerfile" in f.path] == []
