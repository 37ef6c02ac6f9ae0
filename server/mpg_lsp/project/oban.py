"""Oban instances of the prod view.

An instance is configured (`config :app, Oban, ...`, or any key whose options hold `repo:` and
`queues:`, `plugins:` or `engine:`), started in an application.ex (`{Oban, repo: R, ...}`), or
both: `{Oban, Application.fetch_env!(:app, Oban) |> Keyword.put(:notifier, X)}` starts the
configured one with changes on top. Module names are read through `alias`es and variables.
What cannot be read is kept unknown (``notifier`` None, ``options.opaque``) so rules say less.
"""

from __future__ import annotations

from collections import Counter

from mpg_lsp.project.elixir_config import Binding
from mpg_lsp.project.libs import LibFacts, ObanChild, Step
from mpg_lsp.project.merge import Located, MergedOptions, anchor_for, merge, module_name, resolve
from mpg_lsp.project.values import Alias, KeywordList, Span, TupleV, Value
from mpg_lsp.records import field, record, replace

DEFAULT_NOTIFIER = "Oban.Notifiers.Postgres"
# The notifiers that LISTEN on a connection of their own, opened from the repo's config
POSTGRES_NOTIFIERS = frozenset({DEFAULT_NOTIFIER, "Oban.PostgresNotifier"})
PG_NOTIFIER = "Oban.Notifiers.PG"
_OBAN_KEYS = ("queues", "plugins", "engine")


@record
class Oban:
    name: str  # the config key, or the `name:` of an application child ("Oban" by default)
    app: str | None  # the OTP app its config lives under, when known
    options: MergedOptions  # config merged like Config does, then the child's Keyword steps
    anchor: tuple[str, Span] | None  # where a finding about a missing key goes
    anchor_options: tuple[str, KeywordList] | None  # the keyword list a missing key goes in
    repo: str | None
    repo_defined: bool  # configured in the prod view, or a `use Ecto.Repo` module in lib/
    notifier: str | None  # the effective notifier module (the default when absent); None: unknown
    notifier_explicit: bool
    started_in: str | None = None  # the application.ex that starts it, when one does
    unknown: frozenset[str] = frozenset()  # keys changed in a way that cannot be read
    bindings: dict[str, list[Binding]] = field(default_factory=dict, repr=False)

    def module(self, value: Value, path: str) -> str | None:
        """The full module name ``value`` (written in ``path``) stands for, if it is one."""
        return module_of(value, path, self.bindings)

    @property
    def listens(self) -> bool:
        """Its notifier is the Postgres one (explicit, legacy name or the default)."""
        return self.notifier in POSTGRES_NOTIFIERS

    def knows(self, key: str) -> bool:
        """Whether ``key``'s presence or absence is certain."""
        return key in self.options.pairs or not (self.options.opaque or key in self.unknown)


def module_of(value: Value | None, path: str, bindings: dict[str, list[Binding]]) -> str | None:
    """A module name (bare or the head of `{Mod, opts}`), through variables and aliases."""
    if value is None:
        return None
    value = resolve(value, path, bindings)
    name = module_name(value)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    where = value.items[0].span.start if isinstance(value, TupleV) else value.span.start
    for binding in reversed(bindings.get(path, [])):
        if binding.name == head and isinstance(binding.value, Alias) and binding.span.start < where:
            return binding.value.name + dot + rest
    return name


def _looks_like_oban(merged: MergedOptions | None) -> bool:
    if merged is None:
        return False
    return "repo" in merged.pairs and any(k in merged.pairs for k in _OBAN_KEYS)


def _signature(child: ObanChild) -> tuple[object, ...]:
    """Children that start the same options (the same tuple in two branches) count once."""
    literal = child.literal.text if child.literal is not None else None
    return (child.env_key, literal, tuple((s.op, s.text) for s in child.steps))


def _apply(child: ObanChild, base: MergedOptions) -> tuple[MergedOptions, frozenset[str]]:
    """``base`` with the child's Keyword steps applied, in order."""
    out = MergedOptions(list(base.calls), dict(base.pairs), base.opaque, list(base.texts))
    unknown: set[str] = set()
    for step in child.steps:
        out.texts.append(step.text)
        if step.op in ("put", "put_new") and step.options is not None:
            for pair in step.options.pairs:
                if step.op == "put_new" and pair.key in out.pairs:
                    continue
                out.pairs[pair.key] = (child.path, pair, step.options)
                unknown.discard(pair.key)
        elif step.op in ("delete", "forget"):
            for key in step.keys:
                out.pairs.pop(key, None)
                if step.op == "forget":
                    unknown.add(key)
                else:
                    unknown.discard(key)
        else:
            out.opaque = True
    return out, frozenset(unknown)


def _notifier(
    options: MergedOptions, unknown: frozenset[str], bindings: dict[str, list[Binding]]
) -> tuple[str | None, bool]:
    found = options.get("notifier")
    if found is not None:
        return module_of(found[1].value, found[0], bindings), True
    if options.opaque or "notifier" in unknown or "engine" in unknown:
        return None, False
    engine = options.get("engine")
    if engine is not None:
        name = module_of(engine[1].value, engine[0], bindings)
        if name is None:
            return None, False
        if name.endswith(("Lite", "Dolphin")):  # SQLite and MySQL engines default to PG
            return PG_NOTIFIER, False
    return DEFAULT_NOTIFIER, False


def find_obans(
    by_key: dict[str, list[Located]],
    bindings: dict[str, list[Binding]],
    runtime: str,
    lib: LibFacts,
) -> list[Oban]:
    """Every Oban instance the prod release configures or starts."""
    scope: dict[str, list[Binding]] = dict(bindings)
    for path, found in lib.bindings.items():
        scope[path] = list(found)
    merged_by_key = {key: merge(located, bindings) for key, located in by_key.items()}
    children: list[ObanChild] = []
    seen: set[tuple[object, ...]] = set()
    for child in lib.obans:
        if child.opaque:
            # `AshOban.config(domains, Application.fetch_env!(:app, Oban))`: what it starts
            # from is known, not what it makes of it
            read = [
                k
                for k in child.reads
                if k[1] == "Oban" or _looks_like_oban(merged_by_key.get(k[1]))
            ]
            if len(read) != 1:
                continue
            child = replace(
                child, env_key=read[0], steps=(Step("unknown", text=child.text),), opaque=False
            )
        if _signature(child) not in seen:
            seen.add(_signature(child))
            children.append(child)
    referenced = {c.env_key[1] for c in children if c.env_key is not None}
    apps = Counter(loc.call.app for located in by_key.values() for loc in located)

    def instance(
        name: str,
        app: str | None,
        options: MergedOptions,
        anchor: tuple[str, Span] | None,
        anchor_options: tuple[str, KeywordList] | None,
        unknown: frozenset[str] = frozenset(),
        started_in: str | None = None,
    ) -> Oban:
        found = options.get("repo")
        repo = module_of(found[1].value, found[0], scope) if found is not None else None
        if repo is not None and app is None and by_key.get(repo):
            app = by_key[repo][-1].call.app
        if app is None and apps:
            app = apps.most_common(1)[0][0]
        defined = repo is not None and (repo in lib.repo_modules or bool(by_key.get(repo)))
        notifier, explicit = _notifier(options, unknown, scope)
        return Oban(
            name, app, options, anchor, anchor_options, repo, defined, notifier, explicit,
            started_in=started_in, unknown=unknown, bindings=scope,
        )  # fmt: skip

    configured = {
        key: merged
        for key, merged in merged_by_key.items()
        if key == "Oban" or key in referenced or _looks_like_oban(merged)
    }

    def config_anchor(
        merged: MergedOptions,
    ) -> tuple[tuple[str, Span] | None, tuple[str, KeywordList] | None]:
        located, options = anchor_for(merged, runtime, bindings)
        return ((located.path, located.call.key_span) if located is not None else None), options

    started: list[Oban] = []
    for child in children:
        if child.env_key is not None:
            env_app, key = child.env_key
            base = configured.get(key, MergedOptions())
            anchor, anchor_options = config_anchor(base)
            if anchor is None:
                anchor = (child.path, child.head)
            options, unknown = _apply(child, base)
            started.append(
                instance(key, env_app, options, anchor, anchor_options, unknown, child.path)
            )
        elif child.literal is not None:
            literal = child.literal
            base = MergedOptions(
                pairs={p.key: (child.path, p, literal) for p in literal.pairs}, texts=[literal.text]
            )
            options, unknown = _apply(child, base)
            named = options.get("name")
            name = (
                module_of(named[1].value, named[0], scope) if named is not None else None
            ) or "Oban"
            started.append(
                instance(
                    name,
                    None,
                    options,
                    (child.path, child.head),
                    (child.path, literal),
                    unknown,
                    child.path,
                )
            )

    # A configured instance nobody starts from config, while a child written out under the
    # same name is what runs: the config is left over, not the live instance.
    shadowed = {o.name for o in started if o.name not in referenced}
    obans: list[Oban] = []
    for key, merged in configured.items():
        if key in referenced or key in shadowed:
            continue
        anchor, anchor_options = config_anchor(merged)
        app = merged.calls[-1].call.app if merged.calls else None
        obans.append(instance(key, app, merged, anchor, anchor_options))
    return obans + started
