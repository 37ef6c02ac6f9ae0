"""No secret out: database URLs with passwords and a RELEASE_COOKIE, written in config files,
fly.toml, a release command and rel/env.sh.eex, never appear unmasked in a diagnostic, a code
action's title, a hover, a message to the editor, a log line (the server at DEBUG) or the
checker's output (text, json, sarif, github), nor in `mpg-lsp fix --diff` (its context lines
show the user's files around a fix). Secrets not in URLs count too: a DSN's `password=`, a
command's `PGPASSWORD=`, a URL's `sslpassword=`. And no output carries a control character
taken from a file or a path raw: an escape sequence there would drive the user's terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from harness import FIGURES, Server
from projects import SAMPLE, copy_project

SECRETS = [
    "S3cretPassw0rd-RT",
    "Binding-Pw-42",
    "Fallback-Pw-77",
    "FlyEnv-Pw-99",
    "Cookie-Vq3xT9mKp2LzR8wY",
    "Release-Pw-55",
    "EnvSh-Pw-33",
    "EnvShCookie-c4NbH6jDf1",
    "Prod-Pw-11",
    "p@ss:w/rd%Odd-66",
    "Replica-Pw-88",
    "SslKey-Pw-21",
    "Dsn-Pw-31",
    "PgEnv-Pw-41",
]

RUNTIME = """import Config

if config_env() == :prod do
  replica_url = "postgres://reader:Binding-Pw-42@direct.store-db.flympg.net:5432/store"

  config :storefront, Storefront.Repo,
    url: "ecto://app:S3cretPassw0rd-RT@pgbouncer.store-db.flympg.net/store",
    pool_size: 10

  config :storefront, Storefront.ReplicaRepo,
    url: replica_url,
    migration_lock: :pg_advisory_lock

  config :storefront, Storefront.FallbackRepo,
    url: System.get_env("DATABASE_URL", "postgres://u:Fallback-Pw-77@pgbouncer.store-db.flympg.net/x"),
    prepare: :named

  config :storefront, Storefront.OddRepo,
    url: "postgres://odd:ODD_PASSWORD@pgbouncer.store-db.flympg.net/x?password=Replica-Pw-88&sslmode=require"

  config :storefront, Oban, repo: Storefront.Repo, notifier: Oban.Notifiers.Postgres
end
""".replace("ODD_PASSWORD", quote("p@ss:w/rd%Odd-66", safe=""))

PROD = """import Config

config :storefront, Storefront.Repo,
  url: "postgresql://app:Prod-Pw-11@pgbouncer.store-db.flympg.net:5432/store"
"""

FLY = """app = 'storefront'
primary_region = 'ams'

[deploy]
  release_command = "DATABASE_URL=postgres://app:Release-Pw-55@direct.db.flympg.net/s bin/migrate"

[env]
  PHX_HOST = 'storefront.fly.dev'
  DATABASE_URL = "postgres://app:FlyEnv-Pw-99@pgbouncer.store-db.flympg.net/store"
  RELEASE_COOKIE = "Cookie-Vq3xT9mKp2LzR8wY"
  ECTO_IPV6 = 'true'
  REPLICA_URL = "postgres://app@pgbouncer.store-db.flympg.net/store?sslpassword=SslKey-Pw-21"
  PG_DSN = "host=direct.store-db.flympg.net user=app password=Dsn-Pw-31 dbname=store"
  MIGRATE_CMD = "PGPASSWORD=PgEnv-Pw-41 psql -h direct.store-db.flympg.net"
"""

ENV_SH = """#!/bin/sh
export DATABASE_URL=postgres://app:EnvSh-Pw-33@direct.store-db.flympg.net/store
export RELEASE_COOKIE=EnvShCookie-c4NbH6jDf1
"""


def leaked(text: str) -> list[str]:
    """The secrets found in ``text``, as written or percent-encoded."""
    forms = {s: {s, quote(s, safe=""), quote(s, safe="@:/")} for s in SECRETS}
    return [s for s, variants in forms.items() if any(v in text for v in variants)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / "config" / "runtime.exs").write_text(RUNTIME)
    (root / "config" / "prod.exs").write_text(PROD)
    (root / "fly.toml").write_text(FLY)
    (root / "rel" / "env.sh.eex").write_text(ENV_SH)
    (root / "rel" / "overlays" / "bin" / "migrate").write_text(
        "#!/bin/sh\n"
        "DATABASE_URL=postgres://app:EnvSh-Pw-33@direct.store-db.flympg.net/store "
        "./storefront eval Storefront.Release.migrate\n"
    )
    assert set(leaked(RUNTIME + PROD + FLY + ENV_SH)) == set(SECRETS)  # the oracle sees them
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_checker_output_masks_every_secret(project: Path, fmt: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", "check", "--format", fmt, str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "MPG_LSP_LOG": "DEBUG"},
    )
    assert out.returncode == 1, out.stderr  # findings, among them the secrets themselves
    if fmt == "json":
        assert {f["code"] for f in json.loads(out.stdout)} >= {"MPG304"}
    FIGURES["outputs scanned"] += 2
    found = leaked(out.stdout + out.stderr)
    FIGURES["secrets shown"] += len(found)
    assert found == [], [
        line.strip()[:300] for line in (out.stdout + out.stderr).splitlines() if leaked(line)
    ]
    assert "****" in out.stdout


def test_fix_diff_masks_every_secret(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", "fix", "--diff", "--unsafe", str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 1 and "+++ " in out.stdout, out.stderr
    assert "pgbouncer.store-db.flympg.net" in out.stdout  # context lines around the fixes
    FIGURES["outputs scanned"] += 2
    found = leaked(out.stdout + out.stderr)
    FIGURES["secrets shown"] += len(found)
    assert found == [], [line for line in out.stdout.splitlines() if leaked(line)]


ESCAPES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("command", ["text", "json", "sarif", "github", "diff"])
def test_no_output_carries_a_raw_control_character(tmp_path: Path, command: str) -> None:
    """A folder and an [env] key named with escape sequences (a title change, a screen
    clear, a CSI in its 8-bit form, a right-to-left override)."""
    root = copy_project(SAMPLE, tmp_path / "app\x1b[2J\u202e")
    with (root / "fly.toml").open("a", encoding="utf-8") as fly:
        fly.write('\n[env]\n  "\\u001b]0;owned\\u0007\\u009bAPI_PASSWORD" = "Esc-Pw-61"\n')
    args = ["fix", "--diff"] if command == "diff" else ["check", "--format", command]
    out = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", *args, str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 1, out.stderr
    if command != "diff":
        assert "API_PASSWORD" in out.stdout  # the finding that quotes the key is there
    FIGURES["outputs scanned"] += 2
    raw = ESCAPES.findall(out.stdout + out.stderr)
    assert raw == [], sorted(set(raw))
    assert "Esc-Pw-61" not in out.stdout + out.stderr


def test_server_never_shows_a_secret(project: Path) -> None:
    server = Server(log="DEBUG")
    server.initialize(project)
    files = [
        project / rel
        for rel in (
            "config/runtime.exs",
            "config/prod.exs",
            "fly.toml",
            "rel/env.sh.eex",
            "config/config.exs",
        )
    ]
    uris = [server.open(p) for p in files]
    shown: list[str] = []
    try:
        for path, uri in zip(files, uris):
            lines = path.read_text().split("\n")
            # hover at the start of every word and on every character of the secret-bearing lines
            for number, line in enumerate(lines):
                columns = {m.start() for m in re.finditer(r"[\w\"'.:@/-]+", line)}
                if leaked(line):
                    columns |= set(range(len(line)))
                for column in sorted(columns):
                    reply = server.hover(uri, number, column)
                    assert "result" in reply, reply
                    if reply["result"]:
                        shown.append(json.dumps(reply["result"]))
            whole = {
                "start": {"line": 0, "character": 0},
                "end": {"line": len(lines), "character": 0},
            }
            for only in (None, ["source.fixAll.mpg-lsp"], ["quickfix"]):
                context: dict = {"diagnostics": []}
                if only:
                    context["only"] = only
                reply = server.request(
                    "textDocument/codeAction",
                    {"textDocument": {"uri": uri}, "range": whole, "context": context},
                )
                for action in reply.get("result") or []:
                    # what the editor shows: titles, the diagnostics they carry, any command
                    shown.append(
                        json.dumps({k: action.get(k) for k in ("title", "diagnostics", "command")})
                    )
        server.drain(0.3)
        for note in server.notifications:  # diagnostics, messages, log messages
            shown.append(json.dumps(note["params"]))
        publishes = [
            n for n in server.notifications if n["method"] == "textDocument/publishDiagnostics"
        ]
        codes = {d["code"] for n in publishes for d in n["params"]["diagnostics"]}
        assert "MPG304" in codes, codes  # the secrets were found, and reported
    finally:
        assert server.close() == 0
    shown.append(server.stderr)
    assert "DEBUG" in server.stderr  # the log really was at its most talkative
    FIGURES["outputs scanned"] += len(shown)
    found = sorted({s for text in shown for s in leaked(text)})
    FIGURES["secrets shown"] += len(found)
    assert found == [], [text[:400] for text in shown if leaked(text)][:5]
    assert server.crashes() == []


def test_a_malformed_message_carrying_secrets_is_not_logged(project: Path) -> None:
    """A client bug (a wrong version type, a wrong jsonrpc) must not print the buffer it
    carried into the log."""
    server = Server(log="DEBUG")
    server.initialize(project)
    text = (project / "fly.toml").read_text()
    uri = (project / "fly.toml").as_uri()
    for message in (
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "toml", "version": "one", "text": text}
            },
        },
        {
            "jsonrpc": "1.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}
            },
        },
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"range": "bad", "text": text}],
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 8,
            "method": "textDocument/hover",
            "params": {
                "textDocument": {"uri": uri},
                "position": {"line": 0, "character": 0},
                "extra": text,
            },
        },
    ):
        server.send(message)
    assert server.hover(uri, 0, 0) is not None
    server.close()
    FIGURES["outputs scanned"] += 1
    found = leaked(server.stderr)
    FIGURES["secrets shown"] += len(found)
    assert found == [], [line[:300] for line in server.stderr_lines if leaked(line)][:5]
