"""Oban rules: a notifier that needs LISTEN, and the deprecated Repeater plugin."""

from __future__ import annotations

from collections.abc import Iterator

from mpg_lsp.project.merge import module_name
from mpg_lsp.project.model import Oban, ProdView
from mpg_lsp.project.values import ListV
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import append_item, remove_item
from mpg_lsp.rules.repo import add_pair

POSTGRES_NOTIFIERS = {"Oban.Notifiers.Postgres", "Oban.PostgresNotifier"}
PHOENIX_NOTIFIER_DEP = '{:oban_notifiers_phoenix, "~> 0.2"}'
REPEATER = "Oban.Plugins.Repeater"


def _set_option(view: ProdView, oban: Oban, key: str, value: str) -> tuple[Edit, ...]:
    """Replace ``key``'s value where the prod view takes it from, or add the pair."""
    found = oban.options.get(key)
    if found is not None:
        path, pair, _ = found
        return (Edit(path, pair.value.span.start, pair.value.span.end, value),)
    if oban.anchor_options is None:
        return ()
    path, keywords = oban.anchor_options
    doc = view.docs.get(path)
    return add_pair(doc, keywords, key, value) if doc is not None else ()


@rule(
    "MPG201",
    "oban-listen-notify",
    "warning",
    "Oban's Postgres notifier needs LISTEN, which PgBouncer's transaction mode never delivers.",
    transaction_only=True,
)
def listen_notify(view: ProdView) -> Iterator[Finding]:
    for oban in view.obans:
        if oban.notifier not in POSTGRES_NOTIFIERS or oban.repo is None:
            continue
        repo = view.repos.get(oban.repo)
        if repo is None or repo.kind != "pooled" or not repo.postgres:
            continue
        explicit = oban.options.get("notifier")
        if explicit is not None:
            path, pair, _ = explicit
            start, end = pair.span.start, pair.span.end
            what = f"uses {oban.notifier}"
        elif oban.anchor is not None:
            path = oban.anchor.path
            start, end = oban.anchor.call.key_span.start, oban.anchor.call.key_span.end
            what = "uses the default Oban.Notifiers.Postgres"
        else:
            continue
        fixes = [Fix("Use `Oban.Notifiers.PG`", _set_option(view, oban, "notifier", "Oban.Notifiers.PG"), preferred=True)]
        if view.pubsub:
            edits = list(
                _set_option(view, oban, "notifier", f"{{Oban.Notifiers.Phoenix, pubsub: {view.pubsub}}}")
            )
            title = f"Use `Oban.Notifiers.Phoenix` with {view.pubsub}"
            if not view.has_dep("oban_notifiers_phoenix"):
                mix = view.docs.get(view.deps_path)
                if view.deps is not None and view.deps.list_range is not None and mix is not None:
                    edits.extend(
                        append_item(
                            mix,
                            list(view.deps.item_ranges),
                            PHOENIX_NOTIFIER_DEP,
                            view.deps.list_range[0] + 1,
                        )
                    )
                    title += " (adds oban_notifiers_phoenix to mix.exs)"
            fixes.append(Fix(title, tuple(edits), safe=False))
        direct = view.direct_repo()
        if direct is not None:
            fixes.append(
                Fix(
                    f"Run Oban on {direct.name}, a direct connection",
                    _set_option(view, oban, "repo", direct.name),
                )
            )
        yield Finding(
            "MPG201",
            path,
            start,
            end,
            f"{oban.name} {what}, which needs LISTEN; behind PgBouncer in transaction mode "
            f"({repo.name} is pooled) it never hears about new jobs. Use Oban.Notifiers.PG, "
            "Oban.Notifiers.Phoenix, or a direct repo.",
            "warning",
            tuple(f for f in fixes if f.edits),
        )


@rule(
    "MPG202",
    "oban-repeater-deprecated",
    "warning",
    "`Oban.Plugins.Repeater` does nothing since Oban 2.14; polling falls back on its own.",
)
def repeater(view: ProdView) -> Iterator[Finding]:
    version = view.lock.version("oban") if view.lock is not None else None
    if version is not None and version < (2, 14, 0):
        return
    severity = "warning" if version is not None else "hint"
    for oban in view.obans:
        found = oban.options.get("plugins")
        if found is None or not isinstance(found[1].value, ListV):
            continue
        path, pair, _ = found
        plugins = found[1].value
        assert isinstance(plugins, ListV)
        doc = view.docs.get(path)
        items = [(i.span.start, i.span.end) for i in plugins.items]
        for index, item in enumerate(plugins.items):
            if module_name(item) != REPEATER:
                continue
            locked = ".".join(map(str, version)) if version else "unknown (no mix.lock)"
            fixes = (
                (Fix("Remove `Oban.Plugins.Repeater`", (remove_item(doc, items, index),), preferred=True),)
                if doc is not None
                else ()
            )
            yield Finding(
                "MPG202",
                path,
                item.span.start,
                item.span.end,
                "Oban.Plugins.Repeater is deprecated since Oban 2.14 and only logs a warning; "
                f"the Stager already falls back to polling (locked oban: {locked}).",
                severity,
                fixes,
                tags=("deprecated",),
            )
