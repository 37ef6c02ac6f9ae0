"""Fly config rules beyond the fixtures: secrets never echoed, release-command rewrites that
survive hostile quoting (checked with tomllib, shlex, flyctl's splitting and a real /bin/sh),
and the shapes of fly.toml, rel/ and Release modules the rules follow."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from mpg_lsp.engine import Engine
from mpg_lsp.project.fly_config import read_fly
from mpg_lsp.project.secrets import masked
from mpg_lsp.project.shell import shell_script, split_command
from mpg_lsp.rules.base import Finding
from mpg_lsp.rules.edits import apply_edits, toml_string
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang
from projects import FIXTURES, MIX, MemoryFileSystem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = "/proj"
RUNTIME = (
    "import Config\n"
    'config :a, A.Repo, url: System.get_env("DATABASE_URL"), socket_options: [:inet6], prepare: '
    ":unnamed\n"
)
POOLED = "postgres://app:pooled@pgbouncer.c1.flympg.net/db"
DIRECT = "postgres://app:direct@direct.c1.flympg.net/db"


def run(files: dict[str, str], code: str | None = None) -> list[Finding]:
    fs = MemoryFileSystem(ROOT, {"mix.exs": MIX, "config/runtime.exs": RUNTIME, **files})
    found = Engine(fs).findings(ROOT)
    return [f for f in found if code is None or f.code == code]


def fly_with(release: str, quote: str = '"') -> str:
    literal = toml_string(release, quote)
    if quote == '"""':
        literal = '"""' + toml_string(release)[1:-1] + '"""'
    elif quote == "'''":
        literal = f"'''{release}'''"
    return f'app = "a"\n\n[deploy]\n  release_command = {literal}\n'


def preferred_text(text: str, finding: Finding) -> str:
    fix = next(f for f in finding.fixes if f.preferred)
    return apply_edits(text.encode(), list(fix.edits)).decode()


def release_of(toml_text: str) -> str:
    return tomllib.loads(toml_text)["deploy"]["release_command"]  # type: ignore[no-any-return]


def sh(argv: list[str], **env: str) -> str:
    out = subprocess.run(
        argv,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ["PATH"], **env},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- flyctl's splitting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("/app/bin/migrate", ["/app/bin/migrate"]),
        ("/bin/sh -lc 'A=$B bin/migrate'", ["/bin/sh", "-lc", "A=$B bin/migrate"]),
        ('/bin/sh -c "A=\\$B x"', ["/bin/sh", "-c", "A=$B x"]),
        ('a "\\q" b', ["a", "q", "b"]),  # google/shlex: `\` escapes anything inside "..."
        ("a 'it'\\''s'", ["a", "it's"]),
        ("bin/migrate # a comment", ["bin/migrate"]),
        ("a#b", ["a#b"]),
        ("a\n b\t c", ["a", "b", "c"]),
        ("'open", None),
        ('"open', None),
        ("trailing\\", None),
    ],
)
def test_release_command_is_split_like_flyctl(command: str, argv: list[str] | None) -> None:
    assert split_command(command) == argv


# -- secrets ----------------------------------------------------------------------------------

SECRETS = [
    "Vq3xT9mKp2LzR8wYc4NbH6jDf1GsA7eU",
    "s3cr3t-Pa55w0rd",
    "r3ad-0nly-p%40ss",
    "ghp_7bQ2kLm9XwR4tY8uPz3cV6nJ1sD5fG0hA2eK",
    "changeme",
    "my-app-cookie",
    "k8Jd93LmQz0pX7vB2nR5tY1wE4uI6oA9sD3fG8hJ2kL5zX7cV0bN4mQ1wE6rT9y",
]


def _shown(finding: Finding) -> str:
    return " ".join(
        [
            finding.message,
            *(f.title for f in finding.fixes),
            *(e.text for f in finding.fixes for e in f.edits),
        ]
    )


def test_no_secret_from_the_fixture_appears_in_any_finding() -> None:
    root = FIXTURES / "fly_env_secrets"
    engine = Engine()
    findings = engine.findings(str(root))
    assert {f.code for f in findings} == {"MPG304"}
    for secret in SECRETS:
        for text in (root / "fly.toml").read_text(), (root / "fly.example.toml").read_text():
            if secret in text:
                break
        else:
            pytest.fail(f"{secret} is not in the fixture any more")
        for finding in findings:
            assert secret not in _shown(finding), (secret, finding.message)
    # every reported [env] value, whole, stays out of the messages too
    for fly in engine.view(str(root)).fly:
        for entry in fly.facts.env:
            if any(f.path == fly.path and f.start == entry.value_range[0] for f in findings):
                assert all(entry.value not in _shown(f) for f in findings)


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://u:hunter2@pgbouncer.x.flympg.net/db", "hunter2"),
        ("postgres://u:p@ss@host/db", "p@ss"),
        ("postgres://u:pa/ss@host:5432/db", "pa/ss"),
        ("postgres://u:pa:ss?x#y@host/db", "pa:ss?x#y"),
        ("ecto://:onlypass@host/db", "onlypass"),
        ("postgres://u:p%40ss@host/db?sslmode=require&password=qw3rty", "qw3rty"),
    ],
)
def test_masking_hides_the_whole_password(url: str, password: str) -> None:
    shown = masked(url)
    assert password not in shown and "****" in shown
    assert shown.startswith(url.split("://")[0] + "://")


def test_secret_detection_by_name_and_shape() -> None:
    env = {
        "RELEASE_COOKIE": ("error", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF"),
        "PASSWORD": ("error", "correct-horse-battery"),
        "AWS_SECRET_ACCESS_KEY": ("error", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY9fQ2mLzT4"),
        "SENTRY_DSN": ("error", "https://abc:def123@o1.ingest.sentry.io/1"),
        "ODD_NAME": ("error", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        "DB": ("error", "postgres://u:realpass@db.internal/app"),
        "JWT_SECRET": ("information", "your-secret-here"),
        "DATABASE_URL": ("information", "postgres://postgres:postgres@localhost/app"),
        "SECRET_KEY_BASE_PATH": (None, "/run/secrets/skb"),
        "API_KEY_FILE": (None, "/etc/key"),
        "TOKEN_TTL": (None, "3600"),
        "COOKIE_DOMAIN": (None, ".example.com"),
        "SESSION_COOKIE_NAME": (None, "_app_key"),
        "STRIPE_PUBLISHABLE_KEY": (None, "pk_live_abc123abc123"),
        "SIGNING_SECRET": (None, "${SIGNING_SECRET}"),
        "SECRET_ROTATION": (None, "true"),
        "AUTH_TOKEN_URL": (None, "https://auth.example.com/token"),
        "DATABASE_URL_2": (None, "postgres://u:$DB_PASSWORD@host/db"),
        "PHX_HOST": (None, "a.fly.dev"),
        "EMPTY_SECRET": (None, ""),
    }
    lines = "\n".join(f"  {k} = {toml_string(v)}" for k, (_, v) in env.items())
    text = f'app = "a"\n\n[env]\n{lines}\n'
    findings = run({"fly.toml": text}, "MPG304")
    by_key = {}
    for f in findings:
        key = text[: f.start].rsplit("\n", 1)[-1].split("=")[0].strip()
        by_key[key] = f.severity
    assert by_key == {k: sev for k, (sev, _) in env.items() if sev is not None}
    for f in findings:
        for severity, value in env.values():
            if severity == "error":
                secret = re.sub(r".*://[^:]*:([^@]*)@.*", r"\1", value)
                assert secret not in f.message, f.message


def test_secret_command_names_the_app_of_a_config_outside_the_root() -> None:
    text = 'app = "a-prod"\n\n[env]\n  RELEASE_COOKIE = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF"\n'
    (finding,) = run({"deploy/fly/prod.toml": text}, "MPG304")
    assert "fly secrets set --app a-prod 'RELEASE_COOKIE=****'" in finding.message


# -- rewrites of the release command ----------------------------------------------------------

# A program that prints the DATABASE_URL it sees and its arguments, free of shell syntax, so
# that flyctl would run it as is (no `$`, `;`, `|`, `&`, `<`, `>`).
PRINTER = (
    f'{sys.executable} -c \'__import__("sys").stdout.write(__import__("json").dumps('
    '[__import__("os").environ.get("DATABASE_URL"), __import__("sys").argv[1:]]))\''
)
ARGV_COMMANDS = [
    PRINTER + ' migrate --flag "double \\"quoted\\" arg" \'single "q" arg\' back\\\\slash',
    PRINTER
    + " migrate 'it'\\''s' \"tab\tand  spaces\" star* q? (paren) {brace} ~tilde mid#hash !bang",
    PRINTER + ' migrate "\\\\\\\\" \'\\\\\' "" \'\' "Release.migrate()"',
]
QUOTES = ['"', "'", '"""', "'''"]


def _quotes_for(command: str) -> list[str]:
    return [q for q in QUOTES if not (q.startswith("'") and "'" in command)]


@pytest.mark.parametrize("command", ARGV_COMMANDS)
def test_mpg301_rewrite_keeps_flyctls_argv_and_sets_the_direct_url(command: str) -> None:
    intended = split_command(command)
    assert intended is not None
    for quote in _quotes_for(command):
        text = fly_with(command, quote)
        assert release_of(text) == command
        (finding,) = run({"fly.toml": text}, "MPG301")
        new = release_of(preferred_text(text, finding))
        argv = shlex.split(new)
        assert argv == split_command(new)  # Python's shlex and flyctl's agree on our output
        assert argv[:2] == ["/bin/sh", "-lc"] and len(argv) == 3
        assert argv[2].startswith("DATABASE_URL=$DIRECT_DATABASE_URL ")
        assert shlex.split(argv[2].split(" ", 1)[1]) == intended
        seen = json.loads(sh(argv, DATABASE_URL=POOLED, DIRECT_DATABASE_URL=DIRECT))
        assert seen == [DIRECT, intended[3:]]


SCRIPT_COMMANDS = [
    # shell syntax without a shell: taken as the script its author meant
    "X='a b' && printf '[%s]' \"$X\" 'q\"uo'\\''te' \"bs\\\\x\" migrate && printf '<%s>' "
    '"$DATABASE_URL"',
    "printf '<%s>' \"$DATABASE_URL\" migrate \"$HOME\" '$NOT' \\$ESCAPED",
    "printf '%s' migrate | tr a-z A-Z; echo \"`echo tick`\" ${DATABASE_URL#postgres://}",
]


@pytest.mark.parametrize("command", SCRIPT_COMMANDS)
def test_mpg301_rewrite_of_a_script_behaves_like_the_script_with_the_direct_url(
    command: str,
) -> None:
    expected = sh(["/bin/sh", "-c", command], DATABASE_URL=DIRECT, HOME="/home/x")
    for quote in _quotes_for(command):
        text = fly_with(command, quote)
        findings = run({"fly.toml": text})
        (finding,) = [f for f in findings if f.code == "MPG301"]
        assert {f.code for f in findings} == {"MPG301", "MPG302"}
        new = release_of(preferred_text(text, finding))
        argv = shlex.split(new)
        assert argv == split_command(new) and argv[:2] == ["/bin/sh", "-lc"]
        assert sh(argv, DATABASE_URL=POOLED, DIRECT_DATABASE_URL=DIRECT, HOME="/home/x") == expected
        assert run({"fly.toml": preferred_text(text, finding)}) == []


WRAPPED_COMMANDS = [
    '/bin/sh -c \'printf "[%s]" "$0" "$1" migrate && printf "<%s>" "$DATABASE_URL"\' zero \'one '
    "two'",
    '/bin/bash -e -c "printf \'[%s]\' migrate \\"it\'s\\" \\"\\\\$DATABASE_URL\\"; printf '
    '\'<%s>\' \\"$DATABASE_URL\\""',
    "sh -lc 'cd / && printf \"%s\" \"migrate'\\''s\"'",
]


@pytest.mark.parametrize("command", WRAPPED_COMMANDS)
def test_mpg301_rewrite_inside_an_existing_shell(command: str) -> None:
    original = split_command(command)
    assert original is not None
    expected = sh(original, DATABASE_URL=DIRECT)
    for quote in _quotes_for(command):
        text = fly_with(command, quote)
        (finding,) = run({"fly.toml": text}, "MPG301")
        new = release_of(preferred_text(text, finding))
        argv = shlex.split(new)
        assert argv == split_command(new)
        before, _, after = shell_script(original)  # type: ignore[misc]
        assert shell_script(argv) is not None and shell_script(argv)[::2] == (before, after)  # type: ignore[index]
        assert sh(argv, DATABASE_URL=POOLED, DIRECT_DATABASE_URL=DIRECT) == expected


@pytest.mark.parametrize(
    "command", [*SCRIPT_COMMANDS, "DATABASE_URL=$DIRECT_DATABASE_URL bin/migrate 'it'\\''s'"]
)
def test_mpg302_wrap_round_trips(command: str) -> None:
    for quote in _quotes_for(command):
        text = fly_with(command, quote)
        (finding,) = run({"fly.toml": text}, "MPG302")
        new = release_of(preferred_text(text, finding))
        assert shlex.split(new) == split_command(new) == ["/bin/sh", "-lc", command]


def test_mpg303_rename_round_trips_and_keeps_the_rest() -> None:
    runtime = (
        "import Config\n"
        'config :a, A.Repo, url: System.fetch_env!("MPG_URL"), socket_options: [:inet6], '
        "prepare: :unnamed\n"
    )
    command = (
        "/bin/sh -lc 'DATABASE_URL=${DIRECT_DATABASE_URL:?unset} exec /app/bin/migrate "
        "\"it'\\''s\" \\\\'"
    )
    for quote in _quotes_for(command):
        text = fly_with(command, quote)
        (finding,) = run({"fly.toml": text, "config/runtime.exs": runtime}, "MPG303")
        assert "MPG_URL" in finding.message and "DATABASE_URL" in finding.message
        new = release_of(preferred_text(text, finding))
        assert new == command.replace("DATABASE_URL=", "MPG_URL=", 1)
        assert shlex.split(new) == split_command(new)
        assert run({"fly.toml": preferred_text(text, finding), "config/runtime.exs": runtime}) == []


def test_multiline_release_command_strings() -> None:
    for text in (
        'app = "a"\n[deploy]\nrelease_command = """\n/app/bin/migrate\n"""\n',
        "app = \"a\"\n[deploy]\nrelease_command = '''\n/app/bin/migrate'''\n",
        'app = "a"\n[deploy]\nrelease_command = """/app/bin/migrate \\\n   --verbose"""\n',
    ):
        (finding,) = run({"fly.toml": text}, "MPG301")
        fixed = preferred_text(text, finding)
        new = release_of(fixed)
        assert shlex.split(new)[:2] == ["/bin/sh", "-lc"]
        assert shlex.split(new)[2].startswith("DATABASE_URL=$DIRECT_DATABASE_URL /app/bin/migrate")
        assert run({"fly.toml": fixed}) == []


# -- what the release command runs ------------------------------------------------------------

GENERATED_MIGRATE = (
    '#!/bin/sh\nset -eu\ncd -P -- "$(dirname -- "$0")"\nexec ./a eval A.Release.migrate\n'
)
RELEASE_EX = """defmodule A.Release do
  @app :a
  def migrate do
    for repo <- repos() do
      {:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :up, all: true))
    end
  end

  defp repos, do: Application.fetch_env!(@app, :ecto_repos)
end
"""
FLY = fly_with("/app/bin/migrate")


def test_overlay_script_without_a_rebind_still_migrates_through_the_pooler() -> None:
    files = {
        "fly.toml": FLY,
        "rel/overlays/bin/migrate": GENERATED_MIGRATE,
        "lib/a/release.ex": RELEASE_EX,
    }
    (finding,) = run(files, "MPG301")
    assert "rel/overlays/bin/migrate → A.Release.migrate" in finding.message


@pytest.mark.parametrize(
    "script",
    [
        GENERATED_MIGRATE.replace(
            "set -eu\n", "set -eu\nexport DATABASE_URL=$DIRECT_DATABASE_URL\n"
        ),
        GENERATED_MIGRATE.replace("exec ./a", 'DATABASE_URL="${DATABASE_URL_UNPOOLED}" exec ./a'),
    ],
)
def test_overlay_script_that_rebinds_counts(script: str) -> None:
    assert run({"fly.toml": FLY, "rel/overlays/bin/migrate": script}, "MPG301") == []


def test_commented_out_rebind_does_not_count() -> None:
    script = GENERATED_MIGRATE.replace(
        "set -eu\n", "set -eu\n# export DATABASE_URL=$DIRECT_DATABASE_URL\n"
    )
    assert len(run({"fly.toml": FLY, "rel/overlays/bin/migrate": script}, "MPG301")) == 1


def test_env_sh_rebind_counts_for_commands_that_run_the_release() -> None:
    env_sh = (
        'if [ "$RELEASE_COMMAND" = "1" ]; then\n  export DATABASE_URL="$DIRECT_DATABASE_URL"\nfi\n'
    )
    files = {"rel/env.sh.eex": env_sh, "rel/overlays/bin/migrate": GENERATED_MIGRATE}
    assert run({**files, "fly.toml": FLY}, "MPG301") == []
    assert run({**files, "fly.toml": fly_with("/app/bin/a eval A.Release.migrate")}, "MPG301") == []
    # `mix ecto.migrate` does not go through the release's env.sh
    assert len(run({**files, "fly.toml": fly_with("mix ecto.migrate")}, "MPG301")) == 1


def test_release_migrate_over_a_listed_direct_repo() -> None:
    runtime = (
        RUNTIME
        + 'config :a, A.DirectRepo, url: System.get_env("DIRECT_DATABASE_URL"), socket_options: '
        "[:inet6], pool_size: 2\n"
    )
    release = RELEASE_EX.replace("Application.fetch_env!(@app, :ecto_repos)", "[A.DirectRepo]")
    files = {
        "fly.toml": FLY,
        "config/runtime.exs": runtime,
        "rel/overlays/bin/migrate": GENERATED_MIGRATE,
    }
    assert run({**files, "lib/a/release.ex": release}, "MPG301") == []
    both = RELEASE_EX.replace("Application.fetch_env!(@app, :ecto_repos)", "[A.DirectRepo, A.Repo]")
    (finding,) = run({**files, "lib/a/release.ex": both}, "MPG301")
    assert "A.Repo" in finding.message and "A.DirectRepo" not in finding.message


def test_mix_ecto_migrate_with_a_direct_repo() -> None:
    runtime = (
        RUNTIME
        + 'config :a, A.DirectRepo, url: System.get_env("DIRECT_DATABASE_URL"), pool_size: 2\n'
    )
    files = {"config/runtime.exs": runtime}
    assert run({**files, "fly.toml": fly_with("mix ecto.migrate -r A.DirectRepo")}, "MPG301") == []
    assert len(run({**files, "fly.toml": fly_with("mix ecto.migrate -r A.Repo")}, "MPG301")) == 1


def test_a_repo_whose_url_cannot_be_known_gets_a_hedged_warning_and_no_automatic_fix() -> None:
    runtime = (
        "import Config\n"
        "config :a, A.Repo, url: A.Config.url(), socket_options: [:inet6], prepare: :unnamed\n"
    )
    (finding,) = run({"fly.toml": FLY, "config/runtime.exs": runtime}, "MPG301")
    assert finding.severity == "warning" and "cannot tell" in finding.message
    assert [f.safe for f in finding.fixes if f.preferred] == [False]


def test_two_pooled_variables_get_no_automatic_fix() -> None:
    runtime = (
        RUNTIME
        + 'config :a, A.EventsRepo, url: System.get_env("EVENTS_DATABASE_URL"), socket_options: '
        "[:inet6], prepare: :unnamed\n"
    )
    (finding,) = run({"fly.toml": FLY, "config/runtime.exs": runtime}, "MPG301")
    assert "DATABASE_URL, EVENTS_DATABASE_URL" in finding.message
    assert not [f for f in finding.fixes if f.preferred]


def test_rebinding_to_another_pooled_variable_is_not_direct() -> None:
    runtime = (
        RUNTIME
        + 'config :a, A.EventsRepo, url: System.get_env("EVENTS_URL"), socket_options: [:inet6], '
        "prepare: :unnamed\n"
    )
    command = "/bin/sh -lc 'DATABASE_URL=$EVENTS_URL EVENTS_URL=$DATABASE_URL bin/migrate'"
    assert len(run({"fly.toml": fly_with(command), "config/runtime.exs": runtime}, "MPG301")) == 1


# -- reading fly.toml -------------------------------------------------------------------------


def test_fly_facts_from_every_toml_shape() -> None:
    text = (
        'app = "x"\n'
        "deploy.release_command = '/app/bin/migrate'\n"
        'env = { A = "1", B.C = 2 }\n'
        "[[vm]]\n  memory = '1gb'\n"
    )
    facts = read_fly(Document("fly.toml", Lang.TOML, text.encode()))
    assert facts.valid and facts.app == "x"
    assert facts.release_command is not None and facts.release_command.value == "/app/bin/migrate"
    assert [(e.key, e.value) for e in facts.env] == [("A", "1")]
    text = '[env]\n  PORT = 8080\n  ECTO_IPV6 = true\n  RATIO = 1.0\n[[env]]\n  EXTRA = "y"\n'
    facts = read_fly(Document("fly.toml", Lang.TOML, text.encode()))
    assert [(e.key, e.value, e.is_string) for e in facts.env] == [
        ("PORT", "8080", False),
        ("ECTO_IPV6", "true", False),
        ("RATIO", "1", False),
        ("EXTRA", "y", True),
    ]


def test_a_broken_fly_toml_says_only_what_its_intact_parts_say() -> None:
    text = (
        '[deploy]\n  release_command = "/app/bin/migrate"\n[env\n'
        '  RELEASE_COOKIE = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF"\n'
    )
    facts = read_fly(Document("fly.toml", Lang.TOML, text.encode()))
    assert not facts.valid
    assert facts.release_command is not None and facts.env == ()


# -- ECTO_IPV6 ----------------------------------------------------------------------------------

GENERATOR_RUNTIME = """import Config
maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []
config :a, A.Repo,
  url: System.get_env("DATABASE_URL"), socket_options: maybe_ipv6, prepare: :unnamed
"""
IPV6_YES = 'app = "a"\n[env]\n  ECTO_IPV6 = "yes"\n'


def test_ecto_ipv6_inline_test_and_list_form() -> None:
    inline = GENERATOR_RUNTIME.replace("maybe_ipv6 = ", "flag = ").replace(
        "socket_options: maybe_ipv6",
        'socket_options: if(System.get_env("ECTO_IPV6") in ["true", "1"], do: [:inet6], else: [])',
    )
    assert len(run({"fly.toml": IPV6_YES, "config/runtime.exs": inline}, "MPG305")) == 1
    two_steps = (
        GENERATOR_RUNTIME.replace("maybe_ipv6 = if", "ipv6? = ")
        .replace(", do: [:inet6], else: []", "")
        .replace("socket_options: maybe_ipv6", "socket_options: if(ipv6?, do: [:inet6], else: [])")
    )
    assert len(run({"fly.toml": IPV6_YES, "config/runtime.exs": two_steps}, "MPG305")) == 1


def test_ecto_ipv6_read_another_way_is_not_second_guessed() -> None:
    own = GENERATOR_RUNTIME.replace("in ~w(true 1)", '== "yes"')
    assert run({"fly.toml": IPV6_YES, "config/runtime.exs": own}, "MPG305") == []


def test_ecto_ipv6_set_by_env_sh_wins_over_env() -> None:
    files = {"fly.toml": IPV6_YES, "config/runtime.exs": GENERATOR_RUNTIME}
    assert len(run(files, "MPG305")) == 1
    assert run({**files, "rel/env.sh.eex": 'export ECTO_IPV6="true"\n'}, "MPG305") == []
    assert len(run({**files, "rel/env.sh.eex": '# export ECTO_IPV6="true"\n'}, "MPG305")) == 1


def test_every_fly_fixture_snapshot_parses(tmp_path: Path) -> None:
    for fixed in sorted(FIXTURES.glob("fly_*.fixed")):
        for path in fixed.rglob("*.toml"):
            tomllib.loads(path.read_text(encoding="utf-8"))
