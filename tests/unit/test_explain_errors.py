"""`mpg-lsp explain` on pasted errors and log lines: the installed script against golden files,
every known text recognised from its own example, the right rule for texts that look alike,
and never the pasted text (or its password) printed back.

Golden files live in tests/fixtures/cli/explain/; MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites them.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from command_line import SCRIPT, clean_env, golden, run
from mpg_lsp.rules import REGISTRY
from mpg_lsp.rules.known_errors import KNOWN, diagnose

PASTED = {
    "already-exists": "** (Postgrex.Error) ERROR 42P05 (duplicate_prepared_statement) prepared "
    'statement "ecto_123" already exists',
    "startup-parameter": "08P01 (protocol_violation) unsupported startup parameter: search_path",
    "tcp-recv-idle": "[error] Postgrex.Protocol (#PID<0.3051.0>) disconnected: ** "
    "(DBConnection.ConnectionError) tcp recv (idle): closed",
    "nxdomain": "** (DBConnection.ConnectionError) tcp connect (pgbouncer.0zq4.flympg.net:5432): "
    "non-existing domain - :nxdomain",
    "ssl-require": '** (CaseClauseError) no case clause matching: "require"',
    "bare-08p01": "FATAL 08P01 (protocol_violation)",
    "server-login": "FATAL 08P01 server login has been failing, try again later "
    "(server_login_retry)",
}


@pytest.mark.parametrize("name", sorted(PASTED))
def test_pasted_errors_match_golden_files(name: str) -> None:
    out = run("explain", PASTED[name])
    assert out.returncode == 0 and out.stderr == ""
    golden(f"explain/{name}.txt", out.stdout)


def test_an_unknown_text_says_so_and_lists_what_it_knows() -> None:
    out = run("explain", "the", "build", "failed", "with", "exit", "code", "137")
    assert out.returncode == 2 and out.stdout == ""
    golden("explain/unknown.txt", out.stderr)
    for known in KNOWN:
        assert known.title in out.stderr


def test_words_typed_without_quotes_read_as_one_line() -> None:
    quoted = run("explain", "unsupported startup parameter: statement_timeout")
    words = run("explain", "unsupported", "startup", "parameter:", "statement_timeout")
    assert quoted.returncode == words.returncode == 0
    assert words.stdout == quoted.stdout and "parameter `statement_timeout`" in words.stdout


def test_stdin_holds_a_log_excerpt_with_several_errors() -> None:
    log = (
        "2026-12-03T10:00:01Z app[1] iad [info] Running migrations\n"
        "2026-12-03T10:00:02Z app[1] iad [error] ** (RuntimeError) failed to release advisory "
        "lock\n"
        "2026-12-03T10:00:09Z app[2] iad [error] Postgrex.Protocol (#PID<0.1.0>) disconnected: "
        "** (DBConnection.ConnectionError) tcp recv (idle): timeout\n"
    )
    out = subprocess.run(
        [SCRIPT, "explain", "-"], input=log, capture_output=True, text=True, env=clean_env()
    )
    assert out.returncode == 0
    titles = re.findall(r"^# (.*)$", out.stdout, re.MULTILINE)
    assert titles == [
        "An advisory lock released on the wrong connection",
        "An idle connection closed under the pool",
    ]


def test_a_pasted_password_is_never_printed() -> None:
    line = (
        "** (DBConnection.ConnectionError) connection to "
        "postgres://app:s3cr3t-Pa55@pgbouncer.c1.flympg.net/db failed: tcp connect: nxdomain"
    )
    for args in (("explain", line), ("explain", "postgres://app:s3cr3t-Pa55@x/y")):
        out = run(*args)
        assert "s3cr3t" not in out.stdout + out.stderr


@pytest.mark.parametrize("known", KNOWN, ids=lambda k: k.title)
def test_every_known_text_is_recognised_from_its_example(known) -> None:
    (first, *_) = diagnose(known.example)
    assert first.error is known


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ('** (CaseClauseError) no case clause matching: "unnamed"', ("MPG103",)),
        ('** (CaseClauseError) no case clause matching: "verify-full"', ("MPG109", "MPG103")),
        ("[warning] Gossip is deprecated.", ("MPG211",)),
        ("08P01 unsupported startup parameter: extra_float_digits", ("MPG110", "MPG106")),
        ("FATAL 08P01 (protocol_violation) query_wait_timeout", ("MPG309",)),
    ],
)
def test_texts_that_look_alike_point_at_the_right_rule(text: str, rules: tuple[str, ...]) -> None:
    (diagnosis,) = diagnose(text)
    assert diagnosis.rules == rules


def test_the_generic_08p01_entry_only_when_nothing_specific_matched() -> None:
    assert [d.error.title for d in diagnose("FATAL 08P01 (protocol_violation)")] == [
        "PgBouncer's generic error code"
    ]
    specific = diagnose("FATAL 08P01 (protocol_violation) pooler is shutting down")
    assert [d.error.title for d in specific] == ["the pooler restarting"]


def test_every_rule_named_is_a_catalog_rule() -> None:
    named = {code for known in KNOWN for code in known.rules}
    named |= {c for k in KNOWN for _, codes in k.rules_by_detail for c in codes}
    assert named <= set(REGISTRY)
