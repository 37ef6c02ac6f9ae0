"""Rules on the query string of a literal database URL: Ecto converts only `ssl=true|false`,
`timeout`, `pool_size` and `idle_interval`; every other parameter reaches Postgrex as a string
that overrides the keyword options beside the URL."""

from __future__ import annotations

from collections.abc import Iterator

from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.urls import query_names, query_params, without_params
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import add_pair, add_pairs
from mpg_lsp.rules.repo import postgres_repos


@rule(
    "MPG103",
    "prepare-in-url",
    "error",
    "A literal database URL carries `prepare=`, which Ecto passes on as a string.",
    transaction_only=True,
)
def prepare_in_url(view: ProdView) -> Iterator[Finding]:
    for repo in postgres_repos(view):
        if repo.url_literal is None or "prepare" not in query_names(
            repo.url_literal[1].value or ""
        ):
            continue
        path, literal = repo.url_literal
        url = literal.value or ""
        new_literal = '"' + without_params(url, {"prepare"}) + '"'
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
            f"{repo.name}'s URL sets `prepare=` as a query parameter: Ecto turns it into the "
            'string "unnamed" (not the atom) and lets it override the keyword options. Drop it '
            "from the URL and set `prepare: :unnamed` instead.",
            "error",
            (Fix("Move `prepare` out of the URL", tuple(edits), preferred=True),),
        )


# Parameters Ecto hands on as strings to options that take something else: what the option
# takes, and whether a URL value maps onto a keyword (integers in ms do; a range or a list not).
_CRASHING = {
    "connect_timeout": "milliseconds",
    "handshake_timeout": "milliseconds",
    "queue_target": "milliseconds",
    "queue_interval": "milliseconds",
    "max_lifetime": "a range of milliseconds",
    "socket_options": "a list of socket options",
}
_SSL_ON = {"require", "verify-ca", "verify-full", "true", "1", "on", "yes"}
_SSL_OFF = {"disable", "false", "0", "off", "no"}


def _crashing(url: str) -> list[tuple[str, str]]:
    """The query parameters of ``url`` that crash Postgrex or DBConnection at connect."""
    out = []
    for name, value in query_params(url):
        if name == "ssl" and value not in ("true", "false"):
            out.append((name, value))
        elif name in _CRASHING:
            out.append((name, value))
    return out


def _keyword(name: str, value: str) -> str | None:
    """The keyword value a crashing parameter stands for, when one follows from it."""
    if name == "ssl":
        lowered = value.strip().lower()
        return "true" if lowered in _SSL_ON else "false" if lowered in _SSL_OFF else None
    if _CRASHING.get(name) == "milliseconds" and value.strip().isdigit():
        return f"{int(value):_}" if int(value) >= 10_000 else str(int(value))
    return None


def _keywords_to_add(repo: Repo, params: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(key, value) for each parameter that maps onto a keyword the repo does not set yet."""
    out = []
    for name, value in params:
        mapped = _keyword(name, value)
        if mapped is not None and repo.options.get(name) is None:
            out.append((name, mapped))
    return tuple(out)


@rule(
    "MPG109",
    "url-param-crashes",
    "error",
    "A literal database URL carries a parameter Ecto passes on as a string where Postgrex "
    "expects another type (`ssl=require`, `connect_timeout=...`): the repo cannot connect.",
)
def url_param_crashes(view: ProdView) -> Iterator[Finding]:
    for repo in postgres_repos(view):
        if repo.url_literal is None:
            continue
        path, literal = repo.url_literal
        url = literal.value or ""
        params = _crashing(url)
        if not params:
            continue
        names = {name for name, _ in params}
        edits = [
            Edit(path, literal.span.start, literal.span.end, f'"{without_params(url, names)}"')
        ]
        added = _keywords_to_add(repo, params)
        if added and repo.anchor_options is not None:
            doc = view.docs.get(repo.anchor_options[0])
            if doc is not None:
                edits.extend(add_pairs(doc, repo.anchor_options[1], added))
        shown = ", ".join(f"`{n}={v}`" for n, v in params)
        wanted = "; ".join(
            "`ssl` takes true, false or a keyword list"
            if n == "ssl"
            else f"`{n}` takes {_CRASHING[n]}"
            for n in dict.fromkeys(n for n, _ in params)
        )
        title = "Remove " + ", ".join(f"`{n}`" for n in sorted(names)) + " from the URL"
        if added:
            title += " and set " + ", ".join(f"`{k}: {v}`" for k, v in added)
        yield Finding(
            "MPG109",
            path,
            literal.span.start,
            literal.span.end,
            f"{repo.name}'s URL sets {shown}: Ecto converts only `ssl=true|false`, `timeout`, "
            "`pool_size` and `idle_interval`, and passes the rest on as strings that override "
            f"the keyword options ({wanted}), so every connection attempt crashes. Set them as "
            "keyword options instead.",
            "error",
            (Fix(title, tuple(edits), preferred=True),),
        )


@rule(
    "MPG107",
    "sslmode-ignored",
    "warning",
    "`sslmode=` in an Ecto URL does nothing: Ecto and Postgrex do not read it.",
)
def sslmode_ignored(view: ProdView) -> Iterator[Finding]:
    for repo in postgres_repos(view):
        if repo.url_literal is None or "sslmode" not in query_names(
            repo.url_literal[1].value or ""
        ):
            continue
        path, literal = repo.url_literal
        url = literal.value or ""
        remove = Edit(
            path,
            literal.span.start,
            literal.span.end,
            '"' + without_params(url, {"sslmode"}) + '"',
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
