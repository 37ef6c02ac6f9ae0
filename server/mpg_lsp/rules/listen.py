"""LISTEN beyond Oban: clients the app starts on a pooled repo, Commanded event stores without
a session URL, and Oban's PG notifier on machines that form no cluster."""

from __future__ import annotations

from collections.abc import Iterator

from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.supervision import ListenClient
from mpg_lsp.project.urls import classify_host
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import add_pair
from mpg_lsp.rules.repo import missing_key_anchor, pooled_because

_CLIENT_NAMES = {
    "EctoWatch": "EctoWatch",
    "Postgrex.Notifications": "Postgrex.Notifications",
    "Postgrex.SimpleConnection": "A Postgrex.SimpleConnection",
    "libcluster": "The libcluster_postgres topology",
}
PG_NOTIFIER = "Oban.Notifiers.PG"
PHOENIX_NOTIFIER = "Oban.Notifiers.Phoenix"


def _severity(view: ProdView) -> str:
    return "error" if view.evidence else "warning"


def _direct_url_config(view: ProdView, repo: str) -> str:
    # R.config() has already turned url: into hostname, port and credentials, and Postgrex
    # ignores :url, so the direct URL is parsed into those keys and merged over them
    return (
        f"Keyword.merge({repo}.config(), Ecto.Repo.Supervisor.parse_url("
        f'System.fetch_env!("{view.direct_var}")))'
    )


def _listen_fixes(view: ProdView, client: ListenClient) -> tuple[Fix, ...]:
    if client.repo_range is None or client.repo is None:
        return ()
    start, end = client.repo_range
    direct = view.direct_repo()
    if direct is not None and direct.name != client.repo:
        new = f"{direct.name}.config()" if client.repo_is_config else direct.name
        return (
            Fix(
                f"Connect with {direct.name}, a direct repo",
                (Edit(client.path, start, end, new),),
                preferred=True,
            ),
        )
    if not client.repo_is_config:
        return ()  # EctoWatch takes a repo module: only a direct repo can fix it
    return (
        Fix(
            f"Connect with ${view.direct_var}",
            (Edit(client.path, start, end, _direct_url_config(view, client.repo)),),
            preferred=True,
            # the variable must exist at boot: safe only when the project already uses it
            safe=view.direct_var in view.env_names,
        ),
    )


@rule(
    "MPG208",
    "listen-through-pooler",
    "warning",
    "A LISTEN client (EctoWatch, Postgrex.Notifications, libcluster_postgres...) connects "
    "through PgBouncer, which never delivers notifications in transaction mode.",
    transaction_only=True,
)
def listen_through_pooler(view: ProdView) -> Iterator[Finding]:
    for client in view.app.listen:
        name = _CLIENT_NAMES.get(client.kind, client.kind)
        repo: Repo | None = view.repos.get(client.repo) if client.repo else None
        if repo is not None:
            if not repo.postgres or repo.kind != "pooled":
                continue
            how = f"{repo.name}, which is pooled ({pooled_because(repo)})"
        elif client.hostname is not None and classify_host(client.hostname) == "pooled":
            how = f"{client.hostname}, a pooler host"
        else:
            continue
        yield Finding(
            "MPG208",
            client.path,
            client.start,
            client.end,
            f"{name} LISTENs through {how}: behind PgBouncer in transaction mode it never hears "
            "a notification, and nothing crashes to say so. Give it a direct connection.",
            _severity(view),
            _listen_fixes(view, client),
        )


@rule(
    "MPG209",
    "eventstore-session-url-missing",
    "error",
    "A Commanded EventStore on a pooled URL has no `session_mode_url` for its subscriptions.",
    transaction_only=True,
)
def eventstore_session_url(view: ProdView) -> Iterator[Finding]:
    for store in view.event_stores.values():
        options = store.options
        if store.kind != "pooled" or options.opaque or not options.calls:
            continue
        if options.get("session_mode_url") is not None or any(
            "session_mode_url" in t for t in options.texts
        ):
            continue
        anchor = missing_key_anchor(view, store)
        if anchor is None:
            continue
        doc, keywords, span = anchor
        value = f'System.fetch_env!("{view.direct_var}")'
        yield Finding(
            "MPG209",
            doc.path,
            span.start,
            span.end,
            f"{store.name} connects through PgBouncer ({pooled_because(store)}) and has no "
            "session_mode_url: its subscriptions LISTEN and take session advisory locks, which "
            f"transaction pooling cannot keep. Set `session_mode_url: {value}`.",
            "error",
            (
                Fix(
                    f"Add `session_mode_url` reading {view.direct_var}",
                    add_pair(doc, keywords, "session_mode_url", value),
                    preferred=True,
                ),
            ),
        )


def _on_pg(view: ProdView, notifier: str) -> bool:
    if notifier == PG_NOTIFIER:
        return True
    # the Phoenix notifier rides on Phoenix.PubSub: PG2 unless a Redis adapter is in use
    return notifier == PHOENIX_NOTIFIER and not view.has_dep("phoenix_pubsub_redis")


@rule(
    "MPG210",
    "pg-notifier-without-cluster",
    "information",
    "Oban's notifier needs an Erlang cluster, but nothing in the app forms one.",
    fixable=False,
)
def pg_notifier_without_cluster(view: ProdView) -> Iterator[Finding]:
    if view.app.cluster or view.has_dep("dns_cluster") or view.has_dep("libcluster"):
        return
    found = []
    for oban in view.obans:
        located = oban.options.get("notifier")
        if oban.notifier is not None and _on_pg(view, oban.notifier) and located is not None:
            found.append((oban, located[0], located[1]))
    if not found:
        return
    # one fact about the app: said once, where the first such notifier is configured
    (oban, path, pair), others = found[0], len(found) - 1
    also = f" (so do {others} other Oban instances)" if others else ""
    yield Finding(
        "MPG210",
        path,
        pair.span.start,
        pair.span.end,
        f"{oban.name} uses {oban.notifier}{also}, which reaches other machines over distributed "
        "Erlang, but nothing forms a cluster (no DNSCluster or Cluster.Supervisor child, "
        "neither dns_cluster nor libcluster a dependency). Each machine hears only itself: "
        "jobs still run, other machines poll for them.",
        "information",
    )
