"""Ecto repo rules: what a repo's options do behind a transaction pooler."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mpg_lsp.project.merge import resolve
from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.values import Atom, Int, KeywordList, ListV, Other, Span, Value, mentions
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
        if repo.url_literal is not None and "prepare" in _query_names(
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


def _without_params(url: str, names: set[str]) -> str:
    """``url`` with the query parameters ``names`` removed (the rest kept byte for byte)."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] not in names]
    return base + ("?" + "&".join(kept) if kept else "")


def _query_names(url: str) -> set[str]:
    _, _, query = url.partition("?")
    return {p.split("=", 1)[0] for p in query.split("&") if p}


@rule(
    "MPG103",
    "prepare-in-url",
    "error",
    "A literal database URL carries `prepare=`, which Ecto passes on as a string.",
    transaction_only=True,
)
def prepare_in_url(view: ProdView) -> Iterator[Finding]:
    for repo in postgres_repos(view):
        if repo.url_literal is None or "prepare" not in _query_names(
            repo.url_literal[1].value or ""
        ):
            continue
        path, literal = repo.url_literal
        url = literal.value or ""
        new_literal = '"' + _without_params(url, {"prepare"}) + '"'
        edits = [Edit(path, literal.span.start, literal.span.end, new_literal)]
        if repo.options.get("prepare") is None and repo.anchor_options is not None:
            doc = view.docs.get(repo.anchor_options[0])
            if doc is not None:
                edits.extend(add_pair(doc, repo.anchor_options[1], "prepare", ":unnamed"))
        yield Finding(
            "MPG103",
            path,
            literal.span.start,
            literal.span.end,
            f"{repo.name}'s URL sets `prepare=` as a query parameter: Ecto turns it into the string "
            '"unnamed" (not the atom) and lets it override the keyword options. Drop it from the '
            "URL and set `prepare: :unnamed` instead.",
            "error",
            (Fix("Move `prepare` out of the URL", tuple(edits), preferred=True),),
        )


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


@rule(
    "MPG106",
    "session-state-through-pooler",
    "warning",
    "Session state (`SET` in after_connect, startup `parameters`) does not survive PgBouncer.",
    transaction_only=True,
    fixable=False,
)
def session_state(view: ProdView) -> Iterator[Finding]:
    for repo in pooled_postgres_repos(view):
        for key in ("after_connect", "parameters", "search_path"):
            found = repo.options.get(key)
            if found is None:
                continue
            path, pair, _ = found
            value = resolve(pair.value, path, view.bindings)
            if key == "after_connect" and not _SET.search(value.text):
                continue
            what = {
                "after_connect": "runs `SET` after connecting",
                "parameters": "sends startup `parameters`",
                "search_path": "sets `search_path` at startup",
            }[key]
            yield Finding(
                "MPG106",
                path,
                pair.span.start,
                pair.span.end,
                f"{repo.name} {what}, but behind PgBouncer in transaction mode the next query may "
                "run on another server connection (and unknown startup parameters are refused at "
                "login). Qualify names with the schema or use Ecto's `:prefix` instead.",
                "warning",
            )


@rule(
    "MPG107",
    "sslmode-ignored",
    "warning",
    "`sslmode=` in an Ecto URL does nothing: Ecto and Postgrex do not read it.",
)
def sslmode_ignored(view: ProdView) -> Iterator[Finding]:
    for repo in postgres_repos(view):
        if repo.url_literal is None or "sslmode" not in _query_names(
            repo.url_literal[1].value or ""
        ):
            continue
        path, literal = repo.url_literal
        url = literal.value or ""
        remove = Edit(
            path,
            literal.span.start,
            literal.span.end,
            '"' + _without_params(url, {"sslmode"}) + '"',
        )
        fixes = [Fix("Remove `sslmode` from the URL", (remove,), preferred=True)]
        if repo.options.get("ssl") is None and repo.anchor_options is not None:
            doc = view.docs.get(repo.anchor_options[0])
            if doc is not None:
                fixes.append(
                    Fix(
                        "Remove `sslmode` and set `ssl: true`",
                        (remove, *add_pair(doc, repo.anchor_options[1], "ssl", "true")),
                    )
                )
        yield Finding(
            "MPG107",
            path,
            literal.span.start,
            literal.span.end,
            f"{repo.name}'s URL sets `sslmode`, which Ecto passes on as an unknown option and "
            "Postgrex ignores; it does not turn TLS on or off. Use the `ssl:` option instead.",
            "warning",
            tuple(fixes),
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
        yield Finding(
            "MPG108",
            path,
            pair.span.start,
            pair.span.end,
            f"{repo.name} reads {repo.url_var}, a direct connection that bypasses PgBouncer, with "
            f"pool_size {found[1].value.value}; direct connections are few, keep this pool at "
            f"{limit} or less (direct-pool-max).",
            "information",
            (
                Fix(
                    f"Set pool_size to {limit}",
                    (Edit(path, pair.value.span.start, pair.value.span.end, str(limit)),),
                    preferred=True,
                ),
            ),
        )
