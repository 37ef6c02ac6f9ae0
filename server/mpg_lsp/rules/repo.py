"""Ecto repo rules: named prepared statements behind a transaction pooler."""

from __future__ import annotations

from collections.abc import Iterator

from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.values import Atom, KeywordList, mentions
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import append_item
from mpg_lsp.syntax.document import Document


def pooled_postgres_repos(view: ProdView) -> Iterator[Repo]:
    for repo in view.repos.values():
        if repo.postgres and repo.kind == "pooled" and repo.options.calls:
            yield repo


def pooled_because(repo: Repo) -> str:
    if repo.url_var:
        return f"its url reads {repo.url_var}"
    return "its URL names a pooler host"


def add_pair(doc: Document, options: KeywordList, key: str, value: str) -> tuple[Edit, ...]:
    """Edits that add ``key: value`` as the last pair of ``options``."""
    new = f"{{:{key}, {value}}}" if options.tuple_style else f"{key}: {value}"
    items = [(p.span.start, p.span.end) for p in options.pairs]
    open_end = options.span.start + 1 if options.text.startswith("[") else None
    return append_item(doc, items, new, open_end)


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
        if repo.anchor is None or repo.anchor_options is None:
            continue
        path, keywords = repo.anchor_options
        doc = view.docs.get(path)
        if doc is None:
            continue
        span = repo.anchor.call.key_span
        yield Finding(
            "MPG101",
            repo.anchor.path,
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
