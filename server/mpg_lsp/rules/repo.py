"""Ecto repo rules: what a repo's options do behind a transaction pooler."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mpg_lsp.project.merge import resolve
from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.urls import query_names
from mpg_lsp.project.values import (
    Atom,
    Int,
    KeywordList,
    ListV,
    Other,
    Pair,
    Span,
    Value,
    mentions,
)
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import add_pair, inet6_binding
from mpg_lsp.rules.fly import migrations_through_pooler_found
from mpg_lsp.syntax.document import Document


def pooled_postgres_repos(view: ProdView) -> Iterator[Repo]:
    for repo in view.repos.values():
        if repo.postgres and repo.kind == "pooled" and repo.options.calls:
            yield repo


def pooled_because(repo: Repo) -> str:
    if repo.url_var:
        return f"its url reads {repo.url_var}"
    return "its URL names a pooler host"


def missing_key_anchor(view: ProdView, repo: Repo) -> tuple[Document, KeywordList, Span] | None:
    """Where a key the repo lacks is reported and inserted: the document and keyword list of
    the prod-view call that holds its connection settings, and that call's repo argument."""
    if repo.anchor is None or repo.anchor_options is None:
        return None
    path, keywords = repo.anchor_options
    doc = view.docs.get(path)
    if doc is None:
        return None
    return doc, keywords, repo.anchor.call.key_span


@rule(
    "MPG101",
    "prepare-unnamed-missing",
    "warning",
    "A repo that connects through PgBouncer has no `prepare: :unnamed`.",
    transaction_only=True,
)
def prepare_missing(view: ProdView) -> Iterator[Finding]:
    for repo in pooled_postgres_repos(view):
        options = repo.options
        if options.opaque or any(mentions(t, "prepare") for t in options.texts):
            continue
        if repo.url_literal is not None and "prepare" in query_names(
            repo.url_literal[1].value or ""
        ):
            continue  # MPG103 moves it out of the URL
        where = missing_key_anchor(view, repo)
        if where is None:
            continue
        doc, keywords, span = where
        yield Finding(
            "MPG101",
            doc.path,
            span.start,
            span.end,
            f"{repo.name} connects through PgBouncer ({pooled_because(repo)}) with named "
            "prepared statements, Postgrex's default; Fly MPG requires `prepare: :unnamed` on "
            "every repo behind the pooler.",
            "error" if (view.evidence or repo.literal_pooled) else "warning",
            (
                Fix(
                    f"Add `prepare: :unnamed` to {repo.name}",
                    add_pair(doc, keywords, "prepare", ":unnamed"),
                    preferred=True,
                ),
            ),
        )


@rule(
    "MPG102",
    "prepare-named",
    "error",
    "A repo behind PgBouncer sets `prepare: :named` explicitly.",
    transaction_only=True,
)
def prepare_named(view: ProdView) -> Iterator[Finding]:
    for repo in pooled_postgres_repos(view):
        found = repo.options.get("prepare")
        if found is None:
            continue
        path, pair, _ = found
        if not (isinstance(pair.value, Atom) and pair.value.name == "named"):
            continue
        value = pair.value
        yield Finding(
            "MPG102",
            path,
            pair.span.start,
            pair.span.end,
            f"{repo.name} connects through PgBouncer ({pooled_because(repo)}) but sets "
            "`prepare: :named`; named statements break under transaction pooling. Fly MPG "
            "requires `prepare: :unnamed`.",
            "error",
            (
                Fix(
                    "Use `prepare: :unnamed`",
                    (Edit(path, value.span.start, value.span.end, ":unnamed"),),
                    preferred=True,
                ),
            ),
        )


def postgres_repos(view: ProdView) -> Iterator[Repo]:
    for repo in view.repos.values():
        if repo.postgres and repo.options.calls:
            yield repo


def _has_inet6(value: Value, path: str, view: ProdView) -> bool | None:
    """True/False when the socket options can be read, None when they are computed."""
    resolved = resolve(value, path, view.bindings)
    if isinstance(resolved, (ListV, KeywordList)):
        return ":inet6" in resolved.text
    if isinstance(resolved, Other) and ":inet6" in resolved.text:
        return True  # `if ecto_ipv6?, do: [:inet6], else: []`: IPv6 when the env asks for it
    return None


@rule(
    "MPG104",
    "ipv6-socket-options",
    "warning",
    "A Fly app's repo does not ask for IPv6 (`socket_options: [:inet6]`).",
)
def ipv6_socket_options(view: ProdView) -> Iterator[Finding]:
    if not view.fly:
        return
    for repo in postgres_repos(view):
        if repo.options.opaque or repo.kind == "unknown" and repo.options.get("url") is None:
            continue
        found = repo.options.get("socket_options")
        if found is not None:
            path, pair, _ = found
            if _has_inet6(pair.value, path, view) is not False:
                continue
            doc = view.docs.get(path)
            value = pair.value
            fixes: tuple[Fix, ...] = ()
            if (
                doc is not None
                and isinstance(value, (ListV, KeywordList))
                and value.text.startswith("[")
            ):
                inner = value.span.start + 1
                text = ":inet6" if value.text[1:].strip() == "]" else ":inet6, "
                fixes = (
                    Fix(
                        "Add `:inet6` to socket_options",
                        (Edit(path, inner, inner, text),),
                        preferred=True,
                    ),
                )
            yield Finding(
                "MPG104",
                path,
                pair.span.start,
                pair.span.end,
                f"{repo.name}'s socket_options leave out `:inet6`; Fly's private network (and "
                "*.flympg.net) resolves over IPv6 only, so the connection fails with `:nxdomain`.",
                "warning",
                fixes,
            )
            continue
        where = missing_key_anchor(view, repo)
        if where is None:
            continue
        doc, keywords, span = where
        binding = inet6_binding(view, doc.path, keywords.span.start)
        ipv6 = binding or "[:inet6]"
        yield Finding(
            "MPG104",
            doc.path,
            span.start,
            span.end,
            f"{repo.name} has no socket_options with `:inet6`; Fly's private network (and "
            "*.flympg.net) resolves over IPv6 only, so the connection fails with `:nxdomain`.",
            "warning",
            (
                Fix(
                    f"Add `socket_options: {ipv6}`",
                    add_pair(doc, keywords, "socket_options", ipv6),
                    preferred=True,
                ),
            ),
        )


@rule(
    "MPG105",
    "advisory-lock-through-pooler",
    "error",
    "`migration_lock: :pg_advisory_lock` on a repo whose migrations go through PgBouncer.",
    transaction_only=True,
)
def advisory_lock(view: ProdView) -> Iterator[Finding]:
    candidates = []
    for repo in pooled_postgres_repos(view):
        found = repo.options.get("migration_lock")
        if (
            found is not None
            and isinstance(found[1].value, Atom)
            and found[1].value.name == "pg_advisory_lock"
        ):
            candidates.append((repo, found))
    if not candidates or not migrations_through_pooler_found(view):
        return
    for repo, (path, pair, _) in candidates:
        yield Finding(
            "MPG105",
            path,
            pair.span.start,
            pair.span.end,
            f"{repo.name} takes a session-level advisory lock for migrations, and its migrations "
            "run through PgBouncer: the unlock can land on another backend and the lock leaks. "
            "Use `:table_lock` (Ecto's default), or migrate over the direct URL.",
            "error",
            (
                Fix(
                    "Use `migration_lock: :table_lock`",
                    (Edit(path, pair.value.span.start, pair.value.span.end, ":table_lock"),),
                    preferred=True,
                ),
            ),
        )


_SET = re.compile(r"\bSET\s+(?!LOCAL\b)", re.IGNORECASE)
# Postgrex 0.20 sends `search_path:` in the startup packet; before, it ran `SET` after login.
SEARCH_PATH_AT_STARTUP = (0, 20, 0)


def _search_path_at_startup(view: ProdView) -> bool:
    version = view.locked("postgrex")
    return version is not None and version >= SEARCH_PATH_AT_STARTUP


@rule(
    "MPG106",
    "session-state-through-pooler",
    "warning",
    "Session state set after login (`SET` in after_connect, `search_path:` before Postgrex 0.20) "
    "does not survive PgBouncer.",
    transaction_only=True,
    fixable=False,
)
def session_state(view: ProdView) -> Iterator[Finding]:
    for repo in pooled_postgres_repos(view):
        for key in ("after_connect", "search_path"):
            found = repo.options.get(key)
            if found is None:
                continue
            path, pair, _ = found
            value = resolve(pair.value, path, view.bindings)
            if key == "after_connect" and not _SET.search(value.text):
                continue
            if key == "search_path" and _search_path_at_startup(view):
                continue  # a startup parameter: MPG110
            what = (
                "runs `SET` after connecting"
                if key == "after_connect"
                else "sets `search_path`, which Postgrex before 0.20 applies with `SET` after login"
            )
            yield Finding(
                "MPG106",
                path,
                pair.span.start,
                pair.span.end,
                f"{repo.name} {what}; behind PgBouncer in transaction mode the next query may "
                "run on another server connection, and the setting stays behind for other "
                "clients. Qualify names with the schema or use Ecto's `:prefix` instead.",
                "warning",
            )


# The startup parameters PgBouncer tracks by default (`track_extra_parameters` adds
# IntervalStyle); any other is refused at login unless `ignore_startup_parameters` lists it.
TRACKED_STARTUP_PARAMETERS = frozenset(
    {
        "client_encoding",
        "datestyle",
        "timezone",
        "standard_conforming_strings",
        "application_name",
        "intervalstyle",
    }
)


def _rejected_parameters(view: ProdView, repo: Repo) -> Iterator[tuple[str, Pair, list[str]]]:
    """(file, pair, names) of the repo options that send startup parameters PgBouncer does not
    track; a `parameters:` value that cannot be read is left alone."""
    found = repo.options.get("parameters")
    if found is not None:
        path, pair, _ = found
        value = resolve(pair.value, path, view.bindings)
        if isinstance(value, KeywordList):
            names = [p.key for p in value.pairs if p.key.lower() not in TRACKED_STARTUP_PARAMETERS]
            if names:
                yield path, pair, names
    found = repo.options.get("search_path")
    if found is not None and _search_path_at_startup(view):
        yield found[0], found[1], ["search_path"]


@rule(
    "MPG110",
    "startup-parameter-rejected",
    "error",
    "A pooled repo sends a startup parameter PgBouncer does not track: the login is refused.",
    fixable=False,
)
def startup_parameter_rejected(view: ProdView) -> Iterator[Finding]:
    for repo in pooled_postgres_repos(view):
        for path, pair, names in _rejected_parameters(view, repo):
            listed = ", ".join(f"`{n}`" for n in names)
            what = "the startup parameter" if len(names) == 1 else "the startup parameters"
            instead = (
                "Use Ecto's `:prefix` / `@schema_prefix` or schema-qualified names instead."
                if any(n.lower() == "search_path" for n in names)
                else "Set it per transaction with `SET LOCAL`, or on the database role, instead."
            )
            yield Finding(
                "MPG110",
                path,
                pair.span.start,
                pair.span.end,
                f"{repo.name} connects through PgBouncer ({pooled_because(repo)}) and sends "
                f"{what} {listed} at login. PgBouncer refuses parameters it does not track "
                f"(`FATAL 08P01 unsupported startup parameter: {names[0]}`) unless told to "
                f"ignore them, and Fly does not publish MPG's settings. {instead}",
                "error",
            )


@rule(
    "MPG108",
    "direct-pool-too-large",
    "information",
    "A repo on the direct (unpooled) URL keeps a large pool of scarce direct connections.",
)
def direct_pool(view: ProdView) -> Iterator[Finding]:
    limit = view.settings.direct_pool_max
    for repo in postgres_repos(view):
        if repo.kind != "direct" or repo.url_var is None:
            continue
        found = repo.options.get("pool_size")
        if found is None or not isinstance(found[1].value, Int) or found[1].value.value <= limit:
            continue
        path, pair, _ = found
        size = found[1].value.value
        listeners = [o.name for o in view.obans if o.repo == repo.name and o.listens]
        count = (
            f"pool_size {size}, plus the connection {listeners[0]}'s Postgres notifier opens "
            f"for LISTEN: {size + len(listeners)} direct connections per Machine"
            if listeners
            else f"pool_size {size}: {size} direct connections per Machine"
        )
        yield Finding(
            "MPG108",
            path,
            pair.span.start,
            pair.span.end,
            f"{repo.name} reads {repo.url_var}, a direct connection that bypasses PgBouncer, with "
            f"{count}. Direct connections are few; keep this pool at {limit} or less "
            "(direct-pool-max; Fly sizes an Oban repo at 6 on Basic).",
            "information",
            (
                Fix(
                    f"Set pool_size to {limit}",
                    (Edit(path, pair.value.span.start, pair.value.span.end, str(limit)),),
                    preferred=True,
                ),
            ),
        )


# db_connection 2.10.0 added `max_lifetime`; 2.10.1 made it recycle idle connections too.
MAX_LIFETIME_WORKS = (2, 10, 1)
MAX_LIFETIME = "480_000..540_000"


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


@rule(
    "MPG111",
    "connection-max-lifetime",
    "hint",
    "A pooled MPG repo keeps its connections open past the 10 minutes Fly's proxy gives them "
    "when it restarts (`max_lifetime`).",
)
def connection_max_lifetime(view: ProdView) -> Iterator[Finding]:
    version = view.locked("db_connection")
    if version is None:
        return  # without mix.lock, whether the option works is unknown
    for repo in postgres_repos(view):
        found = repo.options.get("max_lifetime")
        if found is not None:
            if version >= MAX_LIFETIME_WORKS:
                continue
            path, pair, _ = found
            why = (
                "recycles only connections in use (idle ones from 2.10.1 on)"
                if version >= (2, 10, 0)
                else "ignores it (the option arrived in 2.10.0)"
            )
            yield Finding(
                "MPG111",
                path,
                pair.span.start,
                pair.span.end,
                f"{repo.name} sets `max_lifetime`, but the locked db_connection "
                f"{_version_text(version)} {why}. Upgrade db_connection to 2.10.1 or later "
                "(`mix deps.update db_connection`).",
                "warning",
            )
            continue
        if repo.kind != "pooled" or not (view.evidence or repo.literal_pooled):
            continue
        if version < MAX_LIFETIME_WORKS or repo.options.opaque:
            continue
        if any(mentions(t, "max_lifetime") for t in repo.options.texts):
            continue  # set in a way that cannot be read (Keyword.put, a conditional)
        where = missing_key_anchor(view, repo)
        if where is None:
            continue
        doc, keywords, span = where
        yield Finding(
            "MPG111",
            doc.path,
            span.start,
            span.end,
            f"{repo.name} keeps each connection open indefinitely; when MPG's pooler restarts, "
            "Fly's proxy drains connections within 10 minutes and cuts the rest (`tcp recv "
            "(idle): closed`). Fly recommends recycling them before 600 s: db_connection "
            f"{_version_text(version)} supports `max_lifetime: {MAX_LIFETIME}` (ms, a range "
            "that spreads the reconnects).",
            "hint",
            (
                Fix(
                    f"Add `max_lifetime: {MAX_LIFETIME}` to {repo.name}",
                    add_pair(doc, keywords, "max_lifetime", MAX_LIFETIME),
                    preferred=True,
                ),
            ),
        )
