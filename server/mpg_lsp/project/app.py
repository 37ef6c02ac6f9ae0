"""The whole app beyond ``config/``: which files are read, and what they say.

Read, never run: ``lib/**/*.ex`` (an umbrella's ``apps/*/lib`` too), the migrations under
``priv/*/migrations/``, the ``Dockerfile``, ``rel/overlays/bin/server``, and the scripts people
deploy from (``Makefile``, ``justfile``, ``bin/*``, ``scripts/*``, ``.github/workflows/*.y*ml``).
Never ``deps/``, ``_build/`` or ``node_modules/``.

Cheap at any size: a file's bytes are searched for trigger words first, and only a file that
holds one is parsed; what a parsed file says is cached per file and revision by the workspace,
which forgets it when the file changes (an edit, or a watched-file event).
"""

from __future__ import annotations

import os
import re

from mpg_lsp.project.deploy import (
    MIGRATE_TRIGGER,
    BootCommand,
    Dockerfile,
    ManualMigration,
    boot_commands,
    manual_migrations,
    read_dockerfile,
)
from mpg_lsp.project.sql import CALL_TRIGGER, SQL_TRIGGER, SqlCall, read_sql
from mpg_lsp.project.supervision import (
    EventStoreModule,
    ListenClient,
    MigratorChild,
    Supervision,
    read_supervision,
    triggered,
)
from mpg_lsp.project.workspace import Workspace
from mpg_lsp.records import field, record
from mpg_lsp.syntax.document import Document

# What the config-era readers of lib/ need (repo modules, PubSub, Release.migrate, Oban children)
_LIB_WORDS = (b"Ecto.Repo", b"AshPostgres.Repo", b"Phoenix.PubSub", b"Migrator")
_SCRIPT_FOLDERS = ("bin", "scripts")
_SCRIPT_FILES = ("Makefile", "makefile", "GNUmakefile", "justfile", "Justfile")


@record(frozen=True)
class AppFacts:
    listen: tuple[ListenClient, ...] = ()
    migrators: tuple[MigratorChild, ...] = ()
    cluster: tuple[str, ...] = ()
    eventstores: tuple[EventStoreModule, ...] = ()
    sql: tuple[SqlCall, ...] = ()  # in lib/
    migration_sql: tuple[SqlCall, ...] = ()  # in migrations
    dockerfile: Dockerfile | None = None
    boot: tuple[BootCommand, ...] = ()  # CMD, ENTRYPOINT, rel/overlays/bin/server
    manual: tuple[ManualMigration, ...] = ()  # `fly ssh console -C ... migrate`
    ipv6_env: tuple[tuple[str, str, int, int], ...] = ()  # (path, value, start, end) of ECTO_IPV6
    docs: dict[str, Document] = field(default_factory=dict)  # the files parsed for these facts


# Plain substring searches (memchr-fast); the SQL readers' own patterns only when one hits.
_SQL_CALLS = (b"query", b"execute", b"SQL.stream")
_SQL_WORDS = (b"advisory", b"set", b"listen", b"temp", b"prepare", b"deallocate", b"hold")


# A few short words first, each found by a fast substring search: most files of an app hold
# none of them (every trigger word above contains one; "luster" stands for the cluster ones).
_GATE: tuple[bytes, ...] = (
    *(b"Ecto.Repo", b"EctoWatch", b"AshPostgres", b"PubSub", b"Migrator", b"Postgrex"),
    *(b"luster", b"Event", b"query", b"execute", b"Oban", b"SQL."),
)


_GATE_SEARCH = re.compile(b"|".join(re.escape(word) for word in _GATE)).search


def lib_worth_parsing(path: str, data: bytes) -> bool:
    """Whether a ``lib/`` file holds a word any reader of lib/ looks for."""
    if _GATE_SEARCH(data) is None:  # one pass, not one search per word
        return False
    if any(map(data.__contains__, _LIB_WORDS)) or triggered(data):
        return True
    if b"Oban" in data and os.path.basename(path) == "application.ex":
        return True
    if not any(map(data.__contains__, _SQL_CALLS)):
        return False
    lower = data.lower()
    return any(map(lower.__contains__, _SQL_WORDS)) and (
        CALL_TRIGGER.search(data) is not None and SQL_TRIGGER.search(data) is not None
    )


def migration_paths(ws: Workspace, root: str) -> list[str]:
    """``priv/<repo>/migrations/*.exs`` of the project (and of an umbrella's apps)."""
    roots = [root] + [os.path.join(root, "apps", a) for a in ws.listdir(os.path.join(root, "apps"))]
    paths: list[str] = []
    for base in roots:
        priv = os.path.join(base, "priv")
        for repo in ws.listdir(priv):
            folder = os.path.join(priv, repo, "migrations")
            paths.extend(os.path.join(folder, n) for n in ws.listdir(folder) if n.endswith(".exs"))
    return paths


def script_paths(ws: Workspace, root: str) -> list[str]:
    names = ws.listdir(root)
    paths = [os.path.join(root, n) for n in _SCRIPT_FILES if n in names]
    for folder in _SCRIPT_FOLDERS:
        if folder in names:
            full = os.path.join(root, folder)
            paths.extend(os.path.join(full, n) for n in ws.listdir(full) if not n.startswith("."))
    workflows = os.path.join(root, ".github", "workflows")
    paths.extend(
        os.path.join(workflows, n) for n in ws.listdir(workflows) if n.endswith((".yml", ".yaml"))
    )
    return paths


def deploy_paths(ws: Workspace, root: str) -> list[str]:
    """Every deploy file the model may read: its watched inputs besides lib/ and config/."""
    rel = os.path.join(root, "rel")
    bin_dir = os.path.join(rel, "overlays", "bin")
    return [
        os.path.join(root, "Dockerfile"),
        os.path.join(rel, "env.sh.eex"),
        os.path.join(rel, "env.sh"),
        *(os.path.join(bin_dir, n) for n in ws.listdir(bin_dir)),
        *script_paths(ws, root),
    ]


def read_app(
    ws: Workspace, root: str, lib_docs: list[Document], config_docs: list[Document]
) -> AppFacts:
    """What the app's code and deploy files say. ``lib_docs`` are the lib/ files worth
    parsing (``lib_worth_parsing``); config files are read for libcluster topologies."""
    docs: dict[str, Document] = {}
    supervision: list[Supervision] = []
    sql: list[SqlCall] = []
    for doc in [*lib_docs, *config_docs]:
        found = ws.derived(doc, "supervision", read_supervision)
        if found != Supervision():
            supervision.append(found)
            docs[doc.path] = doc
    for doc in lib_docs:
        calls = ws.derived(doc, "sql", read_sql)
        if calls:
            sql.extend(calls)
            docs[doc.path] = doc
    migration_sql: list[SqlCall] = []
    for path in migration_paths(ws, root):
        data = ws.raw(path)
        if data is None or not (CALL_TRIGGER.search(data) and SQL_TRIGGER.search(data)):
            continue
        migration = ws.get(path)
        if migration is not None:
            calls = ws.derived(migration, "migration-sql", lambda d: read_sql(d, migration=True))
            if calls:
                migration_sql.extend(calls)
                docs[migration.path] = migration
    dockerfile = None
    ipv6: list[tuple[str, str, int, int]] = []
    docker_doc = ws.get(os.path.join(root, "Dockerfile"))
    if docker_doc is not None:
        dockerfile = ws.derived(docker_doc, "dockerfile", read_dockerfile)
        docs[docker_doc.path] = docker_doc
        env = dockerfile.env().get("ECTO_IPV6")
        if env is not None:
            value, ins = env
            ipv6.append((docker_doc.path, value, ins.start, ins.end))
    server_path = os.path.join(root, "rel", "overlays", "bin", "server")
    server = None
    data = ws.raw(server_path)
    if data is not None and MIGRATE_TRIGGER.search(data):
        server = ws.get(server_path)
        if server is not None:
            docs[server.path] = server
    manual: list[ManualMigration] = []
    for path in script_paths(ws, root):
        data = ws.raw(path)
        if data is None or b"ssh" not in data or not MIGRATE_TRIGGER.search(data):
            continue
        script = ws.get(path)
        if script is not None:
            found_manual = ws.derived(script, "manual-migrations", manual_migrations)
            if found_manual:
                manual.extend(found_manual)
                docs[script.path] = script
    return AppFacts(
        listen=tuple(c for s in supervision for c in s.listen),
        migrators=tuple(m for s in supervision for m in s.migrators),
        cluster=tuple(dict.fromkeys(c for s in supervision for c in s.cluster)),
        eventstores=tuple(e for s in supervision for e in s.eventstores),
        sql=tuple(sql),
        migration_sql=tuple(migration_sql),
        dockerfile=dockerfile,
        boot=tuple(boot_commands(dockerfile, server)),
        manual=tuple(manual),
        ipv6_env=tuple(ipv6),
        docs=docs,
    )
