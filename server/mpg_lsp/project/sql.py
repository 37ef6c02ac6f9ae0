"""Literal SQL the app sends, and what in it needs a session of its own.

Read: ``R.query/query!`` and ``Ecto.Adapters.SQL.query/query!/stream`` calls whose SQL is a
literal string without interpolation, and a migration's ``execute "..."``. A statement needs a
session when PgBouncer's transaction mode cannot give it one: a session advisory lock (not
the ``_xact_`` forms), ``SET`` without ``LOCAL``, ``LISTEN``, a temporary table that outlives
its transaction, a cursor ``WITH HOLD``, SQL ``PREPARE``/``DEALLOCATE``. Whether the call sits
lexically inside a ``transaction`` block (or a migration that runs in one) is recorded, since
that is where the transaction-scoped form is the fix.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from mpg_lsp.project.elixir_config import expand_alias, file_aliases
from mpg_lsp.records import record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document

# Both must hold for a file to be parsed: a call that sends SQL, and a session-only statement.
CALL_TRIGGER = re.compile(rb"query|execute|SQL\.stream")
SQL_TRIGGER = re.compile(
    rb"(?i)advisory_lock|[\"\n;]\s*(?:set|listen|prepare|deallocate|declare)\s|temp(?:orary)?\s+table"
)
_SQL_MODULES = {"Ecto.Adapters.SQL", "SQL"}
_REPO_CALLS = {"query", "query!"}
_SQL_CALLS = {"query", "query!", "stream"}
_TRANSACTIONS = {"transaction", "transact"}


@record(frozen=True)
class SessionStatement:
    kind: str  # "advisory-lock", "set", "listen", "temp-table", "hold-cursor", "prepare"
    text: str  # the words that need a session, for the message
    start: int  # offsets in the file, when the literal maps byte for byte onto its value
    end: int
    exact: bool  # whether start/end are exact (else they cover the whole literal)


@record(frozen=True)
class SqlCall:
    path: str
    start: int  # the string literal
    end: int
    repo: str | None  # `R` of `R.query` / `SQL.query(R, ...)`; None in a migration
    in_transaction: bool
    migration: bool
    statements: tuple[SessionStatement, ...]
    sql: str


_LOCK = re.compile(r"(?i)\bpg_(?:try_)?advisory_lock(?:_shared)?\b")
_STATEMENT = re.compile(
    r"(?is)^(?:(set)\s+(?!local\b|transaction\b|constraints\b)(?:session\s+)?\S+"
    r"|(listen)\s+\S+"
    r"|(create\s+(?:global\s+|local\s+)?temp(?:orary)?\s+table)\b"
    r"|(declare)\s+\S+\s+(?:(?:binary|insensitive|asensitive|(?:no\s+)?scroll)\s+)*"
    r"cursor\s+with\s+hold"
    r"|(prepare|deallocate)\s+\S+)"
)
_ON_COMMIT_DROP = re.compile(r"(?i)\bon\s+commit\s+drop\b")
_KINDS = ["set", "listen", "temp-table", "hold-cursor", "prepare"]


def _blank_literals(sql: str) -> str:
    """The SQL with quoted text and comments blanked (same length), so words inside them
    are not read as statements."""
    return re.sub(
        r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/",
        lambda m: " " * len(m.group()),
        sql,
        flags=re.DOTALL,
    )


def session_statements(sql: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) in ``sql`` of every statement that needs a session."""
    plain = _blank_literals(sql)
    found: list[tuple[str, int, int]] = []
    for m in _LOCK.finditer(plain):
        found.append(("advisory-lock", m.start(), m.end()))
    at = 0
    for part in plain.split(";"):
        lead = len(part) - len(part.lstrip())
        statement = _STATEMENT.match(part[lead:])
        if statement is not None:
            m = statement
            index = next(i for i, g in enumerate(m.groups()) if g is not None)
            kind = _KINDS[min(index, 4)]
            if not (kind == "temp-table" and _ON_COMMIT_DROP.search(part)):
                start = at + lead
                found.append((kind, start, start + len(m.group(index + 1))))
        at += len(part) + 1
    return sorted(found, key=lambda f: f[1])


def _literal(node: Node) -> tuple[str, int] | None:
    """A string without interpolation: its value and the offset its value starts at when the
    value maps byte for byte onto the file (-1 when it does not: escapes, a heredoc)."""
    if node.type != ex.STRING or any(c.type == ex.INTERPOLATION for c in node.named_children):
        return None
    value = ex.string_value(node)
    if value is None:
        return None
    opening = ex.text(node)[:3]
    start = node.start_byte + (3 if opening == '"""' else 1)
    source = node.text or b""
    raw = source[start - node.start_byte : start - node.start_byte + len(value.encode())]
    return value, start if raw == value.encode() else -1


def _in_transaction(node: Node) -> bool:
    current = node.parent
    while current is not None:
        if current.type == ex.CALL:
            name = ex.call_name(current).rpartition(".")[2]
            if name in _TRANSACTIONS:
                return True
        current = current.parent
    return False


def read_sql(doc: Document, migration: bool = False) -> tuple[SqlCall, ...]:
    text = doc.text
    if CALL_TRIGGER.search(text) is None or SQL_TRIGGER.search(text) is None:
        return ()
    root = doc.tree.root_node
    aliases = file_aliases(root)
    ddl_transaction = migration and b"@disable_ddl_transaction true" not in text
    out: list[SqlCall] = []
    for call in ex.walk(root, {ex.CALL}):
        name = ex.call_name(call)
        head, _, fn = name.rpartition(".")
        args = ex.arguments(call)
        repo: str | None = None
        sql_node: Node | None = None
        if (
            head
            and expand_alias(head, aliases) in _SQL_MODULES
            and fn in _SQL_CALLS
            and len(args) >= 2
        ):
            if args[0].type == ex.ALIAS:
                repo = expand_alias(ex.text(args[0]), aliases)
            sql_node = args[1]
        elif head and fn in _REPO_CALLS and args:
            if head[:1].isupper() and expand_alias(head, aliases) not in _SQL_MODULES:
                repo = expand_alias(head, aliases)
            elif head not in ("repo()", "repo"):
                continue
            sql_node = args[0]
        elif migration and name == "execute" and args:
            sql_node = args[0]
        if sql_node is None:
            continue
        literal = _literal(sql_node)
        if literal is None:
            continue
        sql, offset = literal
        found = session_statements(sql)
        if not found:
            continue
        statements = []
        for kind, start, end in found:
            words = sql[start:end]
            if offset >= 0:
                statements.append(
                    SessionStatement(
                        kind,
                        words,
                        offset + len(sql[:start].encode()),
                        offset + len(sql[:end].encode()),
                        True,
                    )
                )
            else:
                statements.append(
                    SessionStatement(kind, words, sql_node.start_byte, sql_node.end_byte, False)
                )
        out.append(
            SqlCall(
                doc.path,
                sql_node.start_byte,
                sql_node.end_byte,
                repo if not migration else None,
                ddl_transaction or _in_transaction(call),
                migration,
                tuple(statements),
                sql,
            )
        )
    return tuple(out)
