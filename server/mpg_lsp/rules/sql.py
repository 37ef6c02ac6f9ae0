"""SQL rules: statements in the app's code or its migrations that need a session of their own,
sent through PgBouncer's transaction pooling."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mpg_lsp.project.migrating import route
from mpg_lsp.project.model import ProdView
from mpg_lsp.project.sql import SessionStatement, SqlCall
from mpg_lsp.rules.base import Edit, Finding, Fix, rule

_WHY = {
    "advisory-lock": (
        "takes a session advisory lock: PgBouncer hands the server connection to another "
        "client after the transaction, so the lock stays with that connection and the unlock "
        "goes elsewhere"
    ),
    "set": (
        "changes a setting for the session: it stays on the server connection PgBouncer "
        "hands to the next client, and this client's next query may land on another one"
    ),
    "listen": "waits for notifications, which never reach a client behind transaction pooling",
    "temp-table": (
        "creates a temporary table that outlives its transaction, on a server connection "
        "the next query may not get"
    ),
    "hold-cursor": "declares a cursor WITH HOLD, which lives on after the transaction",
    "prepare": "prepares or deallocates a named statement, which belongs to one connection",
}


def _fix(call: SqlCall, statement: SessionStatement) -> tuple[Fix, ...]:
    """Inside a transaction, the transaction-scoped form: `pg_advisory_xact_lock`, `SET LOCAL`."""
    if not call.in_transaction or not statement.exact:
        return ()
    words = statement.text
    if statement.kind == "advisory-lock":
        new = re.sub(r"(?i)advisory_lock", lambda m: m.group()[:9] + "xact_lock", words, count=1)
        title = f"Use `{new}`, released at the end of the transaction"
        # the xact lock is released at commit: an explicit unlock would then warn, so a
        # statement that also unlocks is left to the user
        safe = "advisory_unlock" not in call.sql.lower()
        return (Fix(title, (Edit(call.path, statement.start, statement.end, new),), True, safe),)
    if statement.kind == "set":
        keyword = "LOCAL" if words.isupper() else "local"
        return (
            Fix(
                f"Use `SET {keyword}`, scoped to the transaction",
                (Edit(call.path, statement.end, statement.end, f" {keyword}"),),
                preferred=True,
            ),
        )
    return ()


def _migrations_pooled(view: ProdView) -> bool:
    """Whether some command that migrates reaches a repo through the pooler."""
    commands = [(f.facts.release_command.value, True) for f in view.fly if f.facts.release_command]
    commands += [(b.text, False) for b in view.app.boot]
    commands += [(p.value, False) for f in view.fly for p in f.facts.processes]
    commands += [(m.command, False) for m in view.app.manual]
    return any(
        (found := route(view, c, release)) is not None and found.needing for c, release in commands
    )


@rule(
    "MPG401",
    "session-sql-through-pooler",
    "warning",
    "Literal SQL sent through PgBouncer needs a session: a session advisory lock, `SET` "
    "without `LOCAL`, `LISTEN`, a temporary table, a held cursor, `PREPARE`.",
    transaction_only=True,
)
def session_sql(view: ProdView) -> Iterator[Finding]:
    calls = []
    for call in view.app.sql:
        repo = view.repos.get(call.repo) if call.repo else None
        if repo is not None and repo.postgres and repo.kind == "pooled":
            calls.append((call, f"{repo.name} is pooled"))
    if view.app.migration_sql and _migrations_pooled(view):
        calls += [(c, "migrations run through the pooler") for c in view.app.migration_sql]
    for call, because in calls:
        for statement in call.statements:
            if statement.kind == "set" and call.in_transaction is False:
                hint = " Use `SET LOCAL` inside a transaction, or schema-qualified names."
            elif statement.kind == "advisory-lock" and not call.in_transaction:
                hint = " Take `pg_advisory_xact_lock` inside a transaction instead."
            else:
                hint = ""
            yield Finding(
                "MPG401",
                call.path,
                statement.start,
                statement.end,
                f"`{statement.text}` {_WHY[statement.kind]} ({because}).{hint}",
                "warning",
                _fix(call, statement),
            )
