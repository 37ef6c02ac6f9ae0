"""Oban rules: a notifier that needs LISTEN, polling before 2.14, the Phoenix notifier's
package, version and PubSub, a repo nobody defined, and deprecated names (Repeater, Gossip,
Postgres peer)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from mpg_lsp.project.merge import resolve
from mpg_lsp.project.mix import requirement_floor
from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.oban import Oban
from mpg_lsp.project.values import Alias, Bool, EnvRead, KeywordList, ListV, TupleV, Value, Var
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import (
    add_pair,
    append_item,
    indent_step,
    inet6_binding,
    prod_block_end,
    remove_item,
)

PHOENIX_NOTIFIER = "Oban.Notifiers.Phoenix"
PHOENIX_NOTIFIER_PACKAGE = "oban_notifiers_phoenix"
PHOENIX_NOTIFIER_DEP = '{:oban_notifiers_phoenix, "~> 0.2"}'
REPEATER = "Oban.Plugins.Repeater"
GOSSIP = "Oban.Plugins.Gossip"
OLD_PEER = "Oban.Peers.Postgres"
NEW_PEER = "Oban.Peers.Database"
DIRECT_POOL_SIZE = 2


def _locked(view: ProdView) -> tuple[int, ...] | None:
    return view.locked("oban")


def _version(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _pooled_repo(view: ProdView, oban: Oban) -> Repo | None:
    repo = view.repos.get(oban.repo) if oban.repo is not None else None
    if repo is None or repo.kind != "pooled" or not repo.postgres:
        return None
    return repo


def _where(oban: Oban, key: str) -> tuple[str, int, int] | None:
    """Where a finding about ``key`` goes: its pair when set, else the instance's anchor."""
    found = oban.options.get(key)
    if found is not None:
        path, pair, _ = found
        return path, pair.span.start, pair.span.end
    if oban.anchor is None:
        return None
    path, span = oban.anchor
    return path, span.start, span.end


def _set_option(view: ProdView, oban: Oban, key: str, value: str) -> tuple[Edit, ...]:
    """Replace ``key``'s value where the instance takes it from, or add the pair."""
    found = oban.options.get(key)
    if found is not None:
        path, pair, _ = found
        return (Edit(path, pair.value.span.start, pair.value.span.end, value),)
    if oban.anchor_options is None:
        return ()
    path, keywords = oban.anchor_options
    doc = view.docs.get(path)
    return add_pair(doc, keywords, key, value) if doc is not None else ()


def _add_dependency(view: ProdView) -> tuple[Edit, ...]:
    """The edit adding the Phoenix notifier's package to mix.exs deps, if it can be placed."""
    mix = view.docs.get(view.deps_path)
    if view.deps is None or view.deps.list_range is None or mix is None:
        return ()
    items = list(view.deps.item_ranges)
    return append_item(mix, items, PHOENIX_NOTIFIER_DEP, view.deps.list_range[0] + 1)


@rule(
    "MPG201",
    "oban-listen-notify",
    "warning",
    "Oban's Postgres notifier needs LISTEN, which PgBouncer's transaction mode never delivers.",
    transaction_only=True,
)
def listen_notify(view: ProdView) -> Iterator[Finding]:
    for oban in view.obans:
        if not oban.listens:
            continue
        repo = _pooled_repo(view, oban)
        where = _where(oban, "notifier")
        if repo is None or where is None:
            continue
        path, start, end = where
        what = (
            f"uses {oban.notifier}"
            if oban.notifier_explicit
            else "uses the default Oban.Notifiers.Postgres"
        )
        fixes = [
            Fix(
                "Use `Oban.Notifiers.PG`",
                _set_option(view, oban, "notifier", "Oban.Notifiers.PG"),
                preferred=True,
            )
        ]
        if view.pubsub:
            edits = list(
                _set_option(
                    view, oban, "notifier", f"{{{PHOENIX_NOTIFIER}, pubsub: {view.pubsub}}}"
                )
            )
            title = f"Use `Oban.Notifiers.Phoenix` with {view.pubsub}"
            if edits and not view.has_dep(PHOENIX_NOTIFIER_PACKAGE):
                dependency = _add_dependency(view)
                if dependency:
                    edits.extend(dependency)
                    title += " (adds oban_notifiers_phoenix to mix.exs)"
            fixes.append(Fix(title, tuple(edits), safe=False))
        dedicated = _dedicated_repo_url(view, repo)
        if dedicated:
            fixes.append(
                Fix(
                    f"Point {repo.name} at {view.direct_var}, a direct connection",
                    dedicated,
                    safe=False,  # the secret must exist, or the release cannot boot
                )
            )
        direct = view.direct_repo()
        if direct is not None:
            fixes.append(
                Fix(
                    f"Run Oban on {direct.name}, a direct connection",
                    _set_option(view, oban, "repo", direct.name),
                )
            )
        advice = (
            f"{repo.name} is a repo of its own for Oban, but it reads {repo.url_var}, the pooled "
            f"URL: point it at {view.direct_var}, or use Oban.Notifiers.PG or "
            "Oban.Notifiers.Phoenix."
            if dedicated
            else "Use Oban.Notifiers.PG, Oban.Notifiers.Phoenix, or a direct repo."
        )
        yield Finding(
            "MPG201",
            path,
            start,
            end,
            f"{oban.name} {what}, which needs LISTEN; behind PgBouncer in transaction mode "
            f"({repo.name} is pooled) it never hears about new jobs. {advice}",
            "warning",
            tuple(f for f in fixes if f.edits),
        )


def _dedicated_repo_url(view: ProdView, repo: Repo) -> tuple[Edit, ...]:
    """For a repo Oban has to itself (not the app's first ecto repo) whose url reads a pooled
    variable: the edit that makes it read the direct one instead (Fly's option 2)."""
    main = view.migration_repos[0] if view.migration_repos else None
    found = repo.options.get("url")
    if main is None or repo.name == main or repo.url_var is None or found is None:
        return ()
    path, pair, _ = found
    value = pair.value
    if isinstance(value, EnvRead):
        # only the name changes: `System.get_env`, `fetch_env!`, `{:system, ...}` or a helper
        at = value.text.find(f'"{value.var}"')
        if at < 0:
            return ()
        start = value.span.start + at + 1
        return (Edit(path, start, start + len(value.var), view.direct_var),)
    if isinstance(value, Var):
        # a binding other repos may share: replace this repo's use of it, not the binding
        return (
            Edit(path, value.span.start, value.span.end, f'System.fetch_env!("{view.direct_var}")'),
        )
    return ()


def _plugin_elements(view: ProdView, module: str) -> Iterator[tuple[str, Value, tuple[Fix, ...]]]:
    """Each ``module`` element (bare or `{Mod, opts}`) of an Oban `plugins:` list, once even
    when two instances share the list: (file, element, the fix that removes it)."""
    seen: set[tuple[str, int]] = set()
    for oban in view.obans:
        found = oban.options.get("plugins")
        if found is None:
            continue
        path, pair, _ = found
        plugins = resolve(pair.value, path, oban.bindings)
        if not isinstance(plugins, ListV):
            continue
        doc = view.docs.get(path)
        items = [(i.span.start, i.span.end) for i in plugins.items]
        for index, item in enumerate(plugins.items):
            if oban.module(item, path) != module or (path, item.span.start) in seen:
                continue
            seen.add((path, item.span.start))
            if doc is None:
                yield path, item, ()
                continue
            remove = Fix(f"Remove `{module}`", remove_item(doc, items, index), preferred=True)
            yield path, item, (remove,)


@rule(
    "MPG202",
    "oban-repeater-deprecated",
    "warning",
    "`Oban.Plugins.Repeater` does nothing since Oban 2.14; polling falls back on its own.",
)
def repeater(view: ProdView) -> Iterator[Finding]:
    version = _locked(view)
    if version is not None and version < (2, 14, 0):
        return
    severity = "warning" if version is not None else "hint"
    locked = _version(version) if version else "unknown (no mix.lock)"
    for path, item, fixes in _plugin_elements(view, REPEATER):
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


@rule(
    "MPG211",
    "oban-gossip-deprecated",
    "hint",
    "`Oban.Plugins.Gossip` does nothing since Oban 2.17 but log that it is deprecated.",
)
def gossip(view: ProdView) -> Iterator[Finding]:
    version = _locked(view)
    if version is None or version < (2, 17, 0):
        return  # before 2.17 it still did its job (queue state for Oban Web)
    for path, item, fixes in _plugin_elements(view, GOSSIP):
        yield Finding(
            "MPG211",
            path,
            item.span.start,
            item.span.end,
            f"Oban.Plugins.Gossip is deprecated since Oban 2.17 (locked: {_version(version)}): "
            "Oban Web no longer needs it, and it only logs a warning at start. Remove it.",
            "hint",
            fixes,
            tags=("deprecated",),
        )


def _has_repeater(oban: Oban, plugins: Value, path: str) -> bool:
    return isinstance(plugins, ListV) and any(
        oban.module(i, path) == REPEATER for i in plugins.items
    )


def _add_repeater(view: ProdView, oban: Oban) -> tuple[Edit, ...]:
    """`Oban.Plugins.Repeater` appended to `plugins:` (or `plugins: [...]` added)."""
    found = oban.options.get("plugins")
    if found is None:
        return _set_option(view, oban, "plugins", f"[{REPEATER}]")
    path, pair, _ = found
    plugins = resolve(pair.value, path, oban.bindings)
    doc = view.docs.get(path)
    if doc is None:
        return ()
    if isinstance(plugins, Bool) and not plugins.value:
        return (Edit(path, plugins.span.start, plugins.span.end, f"[{REPEATER}]"),)
    if isinstance(plugins, ListV):
        items = [(i.span.start, i.span.end) for i in plugins.items]
        return append_item(doc, items, REPEATER, plugins.span.start + 1)
    if isinstance(plugins, KeywordList) and not plugins.pairs and plugins.text.startswith("["):
        return append_item(doc, [], REPEATER, plugins.span.start + 1)
    return ()


@rule(
    "MPG203",
    "oban-no-polling-fallback",
    "error",
    "Oban before 2.14 on a pooled repo with the Postgres notifier has nothing that polls.",
    transaction_only=True,
)
def no_polling_fallback(view: ProdView) -> Iterator[Finding]:
    version = _locked(view)
    if version is None or version >= (2, 14, 0):
        return
    for oban in view.obans:
        if not oban.listens:
            continue
        repo = _pooled_repo(view, oban)
        if repo is None:
            continue
        found = oban.options.get("plugins")
        if found is not None:
            path, pair, _ = found
            plugins = resolve(pair.value, path, oban.bindings)
            readable = isinstance(plugins, ListV) or (
                isinstance(plugins, Bool) and not plugins.value
            )
            empty = isinstance(plugins, KeywordList) and not plugins.pairs
            if _has_repeater(oban, plugins, path) or not (readable or empty):
                continue  # the Repeater is there, or the list cannot be read
        elif not oban.knows("plugins"):
            continue
        where = _where(oban, "plugins")
        if where is None:
            continue
        path, start, end = where
        edits = _add_repeater(view, oban)
        yield Finding(
            "MPG203",
            path,
            start,
            end,
            f"{oban.name} runs Oban {_version(version)} with the Postgres notifier on {repo.name}, "
            "which is pooled: LISTEN hears nothing behind PgBouncer, and before Oban 2.14 nothing "
            "falls back to polling, so queues are not woken for new jobs. Add "
            "Oban.Plugins.Repeater, or upgrade Oban.",
            "error",
            (Fix("Add `Oban.Plugins.Repeater` to plugins", edits, preferred=True),)
            if edits
            else (),
        )


def _phoenix_notifiers(view: ProdView) -> Iterator[tuple[Oban, str, int, int, Value]]:
    """Instances whose notifier is the Phoenix one: (oban, path, pair range, read value)."""
    for oban in view.obans:
        if oban.notifier != PHOENIX_NOTIFIER:
            continue
        found = oban.options.get("notifier")
        if found is None:
            continue
        path, pair, _ = found
        yield oban, path, pair.span.start, pair.span.end, resolve(pair.value, path, oban.bindings)


@rule(
    "MPG204",
    "oban-phoenix-notifier-dependency",
    "error",
    "`Oban.Notifiers.Phoenix` is configured but its package, oban_notifiers_phoenix, "
    "is not a dependency.",
)
def phoenix_notifier_dependency(view: ProdView) -> Iterator[Finding]:
    if view.has_dep(PHOENIX_NOTIFIER_PACKAGE):
        return
    if view.lock is None and (view.deps is None or view.deps.list_range is None):
        return  # neither the deps list nor the lock can be read: nothing certain to say
    for _oban, path, start, end, _value in _phoenix_notifiers(view):
        edits = _add_dependency(view)
        yield Finding(
            "MPG204",
            path,
            start,
            end,
            "Oban.Notifiers.Phoenix is not part of Oban: it ships in the oban_notifiers_phoenix "
            "package, which is in neither mix.exs nor mix.lock. Add "
            f"`{PHOENIX_NOTIFIER_DEP}` to your deps.",
            "error",
            (Fix("Add oban_notifiers_phoenix to mix.exs", edits, preferred=True, safe=False),)
            if edits
            else (),
        )


@rule(
    "MPG205",
    "oban-phoenix-notifier-pubsub",
    "error",
    "`Oban.Notifiers.Phoenix` is configured without a `pubsub:` option.",
)
def phoenix_notifier_pubsub(view: ProdView) -> Iterator[Finding]:
    for _oban, path, start, end, value in _phoenix_notifiers(view):
        doc = view.docs.get(path)
        edits: tuple[Edit, ...] = ()
        if isinstance(value, Alias):
            if view.pubsub and doc is not None:
                edits = (
                    Edit(
                        path,
                        value.span.start,
                        value.span.end,
                        f"{{{value.text}, pubsub: {view.pubsub}}}",
                    ),
                )
        elif (
            isinstance(value, TupleV)
            and len(value.items) == 2
            and isinstance(value.items[1], KeywordList)
        ):
            options = value.items[1]
            if options.get("pubsub") is not None:
                continue
            if view.pubsub and doc is not None:
                edits = add_pair(doc, options, "pubsub", view.pubsub)
        else:
            continue  # options built elsewhere: they may name the PubSub
        pubsub = view.pubsub or "MyApp.PubSub"
        yield Finding(
            "MPG205",
            path,
            start,
            end,
            "Oban.Notifiers.Phoenix needs to know which Phoenix.PubSub to publish on; without "
            f"`pubsub:` it has none. Use `{{Oban.Notifiers.Phoenix, pubsub: {pubsub}}}`.",
            "error",
            (Fix(f"Pass `pubsub: {view.pubsub}`", edits, preferred=True),) if edits else (),
        )


# 0.2.0 and 0.2.1 rebuilt the publishing node's config on dispatch, so every message looked
# local to the node that received it; 0.2.2 (2025-10-23) fixed it.
PHOENIX_NOTIFIER_SCOPING_BUG = ((0, 2, 0), (0, 2, 1))
PHOENIX_NOTIFIER_FIXED = '"~> 0.2.2"'


@rule(
    "MPG212",
    "oban-notifiers-phoenix-outdated",
    "hint",
    "mix.lock pins oban_notifiers_phoenix 0.2.0 or 0.2.1, which treat every message as local.",
)
def phoenix_notifier_outdated(view: ProdView) -> Iterator[Finding]:
    version = view.locked(PHOENIX_NOTIFIER_PACKAGE)
    if version not in PHOENIX_NOTIFIER_SCOPING_BUG:
        return
    message = (
        f"The locked oban_notifiers_phoenix {_version(version)} mis-scopes notifications: each "
        "node takes every message for one of its own (fixed in 0.2.2). "
    )
    for path, deps in view.all_deps:
        span = deps.requirements.get(PHOENIX_NOTIFIER_PACKAGE)
        if span is None:
            continue
        doc = view.docs.get(path)
        floor = requirement_floor(doc.text[span[0] : span[1]].decode()) if doc else None
        if floor is not None and floor >= (0, 2, 2):
            return  # already required: `mix deps.get` updates the lock
        edit = Edit(path, span[0], span[1], PHOENIX_NOTIFIER_FIXED)
        fix = Fix(
            f"Require oban_notifiers_phoenix {PHOENIX_NOTIFIER_FIXED}", (edit,), preferred=True
        )
        upgrade = f"Require {PHOENIX_NOTIFIER_FIXED}, then run `mix deps.get`."
        yield Finding("MPG212", path, span[0], span[1], message + upgrade, "hint", (fix,))
        return
    entry = view.lock.spans.get(PHOENIX_NOTIFIER_PACKAGE) if view.lock is not None else None
    if entry is not None:
        # a dependency of a dependency (or a requirement mpg-lsp cannot read): the lock says it
        upgrade = "Run `mix deps.update oban_notifiers_phoenix` to get 0.2.2 or later."
        lock = os.path.join(view.root, "mix.lock")
        yield Finding("MPG212", lock, *entry, message + upgrade, "hint")


def _underscore(module: str) -> str:
    """`MyApp.ObanRepo` -> `my_app`, like Macro.underscore of the first segment."""
    head = module.split(".", 1)[0]
    out = []
    for i, char in enumerate(head):
        if char.isupper() and i and (head[i - 1].islower() or head[i - 1].isdigit()):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _repo_config(
    view: ProdView, oban: Oban, repo: str, indent: str, eol: str, at: int, step: str
) -> str:
    app = oban.app or _underscore(repo)
    lines = [
        f"config :{app}, {repo},",
        f'{step}url: System.fetch_env!("{view.direct_var}"),',
        f"{step}pool_size: {DIRECT_POOL_SIZE}",
    ]
    if view.fly:  # Fly's private network is IPv6 (MPG104)
        lines[-1] += ","
        lines.append(
            f"{step}socket_options: {inet6_binding(view, view.runtime_path, at) or '[:inet6]'}"
        )
    return eol.join(indent + line for line in lines)


def _insert_repo_config(view: ProdView, oban: Oban, repo: str) -> tuple[Edit, ...]:
    path = view.runtime_path
    doc = view.docs.get(path)
    if doc is None:
        return ()
    eol = doc.line_ending().decode()
    step = indent_step(doc)
    place = prod_block_end(doc)
    if place is not None:
        at, indent = place
        config = _repo_config(view, oban, repo, indent, eol, at, step)
        return (Edit(path, at, at, eol + eol + config),)
    text = doc.text
    at = len(text)
    lead = "" if not text.strip() else (eol if text.endswith((b"\n", b"\r")) else eol + eol)
    block = _repo_config(view, oban, repo, step, eol, at, step)
    return (Edit(path, at, at, f"{lead}if config_env() == :prod do{eol}{block}{eol}end{eol}"),)


@rule(
    "MPG206",
    "oban-repo-unconfigured",
    "warning",
    "Oban's `repo:` names a module with no config and no `use Ecto.Repo` module.",
)
def repo_unconfigured(view: ProdView) -> Iterator[Finding]:
    for oban in view.obans:
        repo = oban.repo
        found = oban.options.get("repo")
        if repo is None or oban.repo_defined or found is None:
            continue
        path, pair, _ = found
        edits = _insert_repo_config(view, oban, repo)
        yield Finding(
            "MPG206",
            path,
            pair.span.start,
            pair.span.end,
            f"{oban.name} runs on {repo}, but no config file configures {repo} and no module "
            "under lib/ defines it with `use Ecto.Repo`. Define the repo, reading the direct URL "
            f"({view.direct_var}) with a small pool, or point `repo:` at an existing one.",
            "warning",
            (
                (
                    Fix(
                        f"Configure {repo} on {view.direct_var} in runtime.exs",
                        edits,
                        preferred=True,
                    ),
                )
                if edits
                else ()
            ),
        )


@rule(
    "MPG207",
    "oban-peer-renamed",
    "hint",
    "`Oban.Peers.Postgres` is called `Oban.Peers.Database` since Oban 2.19.",
)
def peer_renamed(view: ProdView) -> Iterator[Finding]:
    version = _locked(view)
    if version is None or version < (2, 19, 0):
        return
    seen: set[tuple[str, int]] = set()
    for oban in view.obans:
        found = oban.options.get("peer")
        if found is None:
            continue
        path, pair, _ = found
        value = resolve(pair.value, path, oban.bindings)
        if oban.module(value, path) != OLD_PEER:
            continue
        name = value.items[0] if isinstance(value, TupleV) else value
        if (path, name.span.start) in seen:
            continue
        seen.add((path, name.span.start))
        yield Finding(
            "MPG207",
            path,
            name.span.start,
            name.span.end,
            f"Oban.Peers.Postgres was renamed Oban.Peers.Database in Oban 2.19 (locked: "
            f"{_version(version)}); the old name still works, mapped to the new one.",
            "hint",
            (
                Fix(
                    f"Rename to `{NEW_PEER}`",
                    (Edit(path, name.span.start, name.span.end, NEW_PEER),),
                    preferred=True,
                ),
            ),
            tags=("deprecated",),
        )
