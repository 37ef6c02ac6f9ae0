"""Fuzzing the engine: arbitrary bytes, token soup and mutations of real files as config,
fly, mix, release and settings files. No exception escapes, and none is swallowed either (a
rule that raises is logged at ERROR by the engine, which this test counts as a crash): not in
the findings, the positions of their ranges, hover lookups at any offset, the diagnostics made
of them, or fixes applied pass after pass.

A second target replays random edit sequences, with hostile bytes, on a live Document: its
line index, positions, tree and the engine's findings stay consistent after every edit.

Short run (part of the suite): 100 + 40 examples. The long run is one command:

    MPG_LSP_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/hardening/test_fuzz.py -q

(MPG_LSP_FUZZ_EXAMPLES sets the first target's examples; the second gets 40% of them.)
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import pytest
from harness import FIGURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mpg_lsp.engine import Engine
from mpg_lsp.fixing import fix_project
from mpg_lsp.lsp import diagnostics, hover
from mpg_lsp.lsp.session import Session
from mpg_lsp.rules.edits import apply_edits
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang
from projects import SAMPLE, MemoryFileSystem

EXAMPLES = int(os.environ.get("MPG_LSP_FUZZ_EXAMPLES", "100"))
ROOT = "/fuzz/storefront"
BASE = {p.relative_to(SAMPLE).as_posix(): p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}
TARGETS = [
    "config/runtime.exs",
    "config/config.exs",
    "config/prod.exs",
    "fly.toml",
    "mix.exs",
    "mix.lock",
    "lib/storefront/application.ex",
    "lib/storefront/release.ex",
    "rel/env.sh.eex",
    "rel/overlays/bin/migrate",
    ".mpg-lsp.toml",
    "deploy/fly.staging.toml",
    "config/releases.exs",
]

LONE_SURROGATE = "\ud83d".encode("utf-8", "surrogatepass")
HOSTILE = [
    b"\x00",
    b"\xff",
    b"\xc3",
    LONE_SURROGATE,
    "é".encode(),
    "🚀".encode(),
    "\u2028".encode(),
    b"\r",
    b"\r\n",
    b"\n",
    b"\t",
    b"\\",
    "\ufeff".encode(),
]
ELIXIR = [
    b"config",
    b" ",
    b":storefront",
    b", ",
    b"Storefront.Repo",
    b"Oban",
    b"url:",
    b"prepare:",
    b":unnamed",
    b":named",
    b"pool_size:",
    b"10",
    b"System.get_env(",
    b"System.fetch_env!(",
    b'"DATABASE_URL"',
    b'"DIRECT_DATABASE_URL"',
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"%{",
    b" do\n",
    b"\nend\n",
    b"if ",
    b"unless ",
    b"case ",
    b" -> ",
    b"config_env()",
    b" == ",
    b":prod",
    b"Mix.env()",
    b"import_config ",
    b'"#{config_env()}.exs"',
    b"notifier:",
    b"Oban.Notifiers.Postgres",
    b"Oban.Notifiers.PG",
    b"repo:",
    b"plugins:",
    b"Oban.Plugins.Repeater",
    b"queues:",
    b"peer:",
    b"engine:",
    b"socket_options:",
    b"[:inet6]",
    b"migration_lock:",
    b":pg_advisory_lock",
    b"ssl:",
    b"true",
    b"after_connect:",
    b'"ecto://u:p@pgbouncer.db.flympg.net/x"',
    b'"postgres://u:pw@direct.db.flympg.net:5432/x?sslmode=require"',
    b"# mpg-lsp: ignore MPG101",
    b"# mpg-lsp: ignore",
    b"MPG2",
    b'"""',
    b"~w(",
    b"a",
    b")a",
    b"||",
    b"&&",
    b"not ",
    b"!",
    b" = ",
    b"x",
    b"fn ",
    b"Keyword.put(",
    b"children = [",
    b"Supervisor.start_link(",
    b"def ",
    b"defp ",
    b"defmodule ",
    b"use Application",
    b"alias ",
    b"Ecto.Migrator.run(",
    b":up",
    b'{:oban, "~> 2.17"}',
    b'{:postgrex, ">= 0.0.0"}',
    b"deps: ",
    b"@app",
    b"&",
    b"#{",
    b"'",
]
TOML = [
    b"[env]",
    b"[deploy]",
    b"[[vm]]",
    b"[http_service]",
    b"release_command",
    b" = ",
    b"'",
    b'"',
    b"DATABASE_URL",
    b"DIRECT_DATABASE_URL",
    b"/app/bin/migrate",
    b"sh -c '",
    b"/bin/sh -lc ",
    b"DATABASE_URL=$DIRECT_DATABASE_URL ",
    b"bin/migrate",
    b"app",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b".",
    b"#",
    b"'''",
    b'"""',
    b"RELEASE_COOKIE",
    b"ECTO_IPV6",
    b"true",
    b"1",
    b"enabled",
    b"select",
    b"pool-mode",
    b"MPG301",
    b"severity",
    b"postgres://u:secret@pgbouncer.x.flympg.net/db",
    b"mix ecto.migrate",
    b"eval Storefront.Release.migrate",
    b"export ",
    b"$",
    b"${",
    b"\\u00e9",
    b"\\",
]


class ErrorLog(logging.Handler):
    """Records mpg-lsp's ERROR log lines: where the engine puts the exceptions it swallows."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def errors():
    handler = ErrorLog()
    logger = logging.getLogger("mpg_lsp")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _mutate(original: bytes, edits: list[tuple[float, int, bytes]]) -> bytes:
    data = original
    for where, length, insert in edits:
        at = int(where * len(data))
        data = data[:at] + insert + data[at + length :]
    return data


pieces = st.sampled_from(ELIXIR + TOML + HOSTILE)
contents = st.one_of(
    st.binary(max_size=1500),
    st.lists(pieces, max_size=120).map(b"".join),
    st.tuples(
        st.sampled_from(sorted(BASE)),
        st.lists(
            st.tuples(
                st.floats(0, 1), st.integers(0, 40), st.lists(pieces, max_size=4).map(b"".join)
            ),
            max_size=8,
        ),
    ).map(lambda t: _mutate(BASE[t[0]], t[1])),
)
projects = st.dictionaries(st.sampled_from(TARGETS), contents, min_size=1, max_size=4)


def _check_view(engine: Engine, root: str) -> int:
    """Findings, their ranges, hover everywhere near them, diagnostics, fixes; the checks made."""
    findings = engine.findings(root)
    view = engine.view(root)
    session = Session(engine)  # the server's state around this engine (utf-16, as VS Code)
    checks = 0
    for finding in findings:
        doc = view.docs.get(finding.path) or engine.ws.get(finding.path)
        assert doc is not None, finding
        assert 0 <= finding.start <= finding.end <= len(doc.text), finding
        for encoding in ("utf-8", "utf-16", "utf-32"):
            line, column = doc.position_at(finding.start, encoding)  # type: ignore[arg-type]
            assert 0 <= line < len(doc.lines) and column >= 0
        diagnostics.to_diagnostic(finding, doc, session)
        for fix in finding.fixes:
            for edit in fix.edits:
                target = engine.ws.get(edit.path)
                assert target is not None and 0 <= edit.start <= edit.end <= len(target.text), edit
            for path in {e.path for e in fix.edits}:
                apply_edits(engine.ws.get(path).text, [e for e in fix.edits if e.path == path])  # type: ignore[union-attr]
        checks += 1
    for path, doc in view.docs.items():  # hover-like lookups at a spread of offsets
        step = max(1, len(doc.text) // 40)
        for offset in range(0, len(doc.text) + 1, step):
            hover._rule_code(doc, offset)
            if doc.lang is Lang.ELIXIR:
                hover._elixir(session, doc, offset)
            elif hover._is_fly(session, path):
                hover._toml(doc, offset)
            checks += 1
    return checks


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(projects)
def test_engine_survives_arbitrary_files(errors: ErrorLog, files: dict[str, bytes]) -> None:
    engine = Engine(MemoryFileSystem(ROOT, {**BASE, **files}))
    before = len(errors.records)
    _check_view(engine, ROOT)
    engine.settings(ROOT)
    result = fix_project(engine, ROOT, unsafe=True)
    for path, new in result.fixed.items():
        assert isinstance(new, bytes) and path.startswith(ROOT)
    _check_view(engine, ROOT)  # and the project as the fixes left it
    FIGURES["fuzz cases"] += 1
    swallowed = errors.records[before:]
    if swallowed:
        FIGURES["crashes"] += 1
    assert swallowed == [], [r.getMessage() for r in swallowed]


# -- edit sequences on a live document -----------------------------------------------------

_BREAK = re.compile(rb"\r\n|\r|\n")


def _client_text(data: bytes) -> bool:
    """Whether ``data`` is what the server makes of a client's text (UTF-8, lone surrogates
    kept with surrogatepass); invalid bytes come only from files on disk."""
    try:
        data.decode("utf-8", "surrogatepass")
        return True
    except UnicodeDecodeError:
        return False


EDIT_PIECES = st.sampled_from(HOSTILE + ELIXIR[:40] + TOML[:20] + [b""])


@settings(
    max_examples=max(10, EXAMPLES * 2 // 5), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(
    st.sampled_from(["config/runtime.exs", "fly.toml", "config/config.exs"]),
    st.lists(
        st.tuples(
            st.floats(0, 1), st.integers(0, 12), st.lists(EDIT_PIECES, max_size=3).map(b"".join)
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_edit_sequences_keep_the_document_consistent(errors: ErrorLog, rel: str, edits) -> None:
    engine = Engine(MemoryFileSystem(ROOT, BASE))
    path = f"{ROOT}/{rel}"
    doc = engine.ws.open(path, BASE[rel], 1)
    assert doc is not None
    before = len(errors.records)
    for where, length, insert in edits:
        start = int(where * len(doc.text))
        doc.edit(start, min(len(doc.text), start + length), insert)
        doc.reparse()
        assert doc.lines.starts == [0] + [m.end() for m in _BREAK.finditer(doc.text)]
        exact = _client_text(doc.text)
        for offset in (0, start, start + len(insert), len(doc.text)):
            boundary = offset == len(doc.text) or doc.text[offset] & 0xC0 != 0x80
            for encoding in ("utf-8", "utf-16", "utf-32"):
                line, column = doc.position_at(offset, encoding)  # type: ignore[arg-type]
                back = doc.offset_at(line, column, encoding)  # type: ignore[arg-type]
                assert 0 <= back <= len(doc.text)
                if exact and boundary:  # text a client can send: positions map back exactly
                    assert doc.position_at(back, encoding) == (line, column)  # type: ignore[arg-type]
                    assert back == offset or doc.text[back:offset] in (b"\r", b"")
        _check_view(engine, ROOT)
    fresh = Document(path, doc.lang, doc.text)
    assert str(doc.tree.root_node) == str(fresh.tree.root_node) or fresh.tree.root_node.has_error
    FIGURES["edit sequences"] += 1
    FIGURES["edits"] += len(edits)
    swallowed = errors.records[before:]
    if swallowed:
        FIGURES["crashes"] += 1
    assert swallowed == [], [r.getMessage() for r in swallowed]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([str(Path(__file__)), "-q"]))
