"""The prod view of a project: repos, Oban instances and Fly configs as a release sees them.

``Project.view()`` merges ``config/config.exs`` with the files it imports for the prod
environment, then ``config/runtime.exs``, per key like ``Config.config/3`` (later wins), and
classifies every Ecto repo as pooled, direct or unknown. The result is cached on the
generation of every input file, so a keystroke that does not change any fact reuses it.
"""

from __future__ import annotations

import os

from mpg_lsp.project.app import (
    AppFacts,
    deploy_paths,
    lib_worth_parsing,
    migration_paths,
    read_app,
)
from mpg_lsp.project.branches import branches, release_branch
from mpg_lsp.project.elixir_config import (
    Admits,
    Binding,
    ConfigCall,
    ElixirFacts,
    ImportConfig,
    Mentions,
)
from mpg_lsp.project.fly_config import FlyFacts, read_fly
from mpg_lsp.project.libs import LibFacts, read_lib
from mpg_lsp.project.merge import Located, MergedOptions, anchor_for, merge, module_name, resolve
from mpg_lsp.project.mix import MixDeps, MixLock, Version, read_deps, read_lock
from mpg_lsp.project.oban import Oban, find_obans
from mpg_lsp.project.release import ReleaseFacts, read_release
from mpg_lsp.project.urls import classify_host, classify_url
from mpg_lsp.project.values import Alias, EnvRead, KeywordList, Other, Str, Value
from mpg_lsp.project.workspace import Workspace
from mpg_lsp.records import field, record
from mpg_lsp.settings import Settings
from mpg_lsp.syntax.document import Document

POSTGRES_ADAPTERS = {"Ecto.Adapters.Postgres", "AshPostgres.Repo"}
DEFAULT_POOLED_VAR = "DATABASE_URL"
DEFAULT_DIRECT_VAR = "DIRECT_DATABASE_URL"


@record
class Repo:
    name: str
    options: MergedOptions
    kind: str  # "pooled" | "direct" | "unknown"
    url_var: str | None  # the env var its url reads, when it reads one
    url_summary: str  # for hover: where the url comes from
    literal_pooled: bool  # a literal pooler host: evidence on its own
    postgres: bool
    anchor: Located | None  # where a missing key is inserted
    anchor_options: tuple[str, KeywordList] | None  # the keyword list to insert into
    url_literal: tuple[str, Str] | None = None  # (file, string) when the url is a literal
    release_kind: str | None = None  # in Fly's release machine (RELEASE_COMMAND=1), if different
    release_url_var: str | None = None

    def during(self, release: bool) -> tuple[str, str | None]:
        """(kind, url variable) in the release machine, or in the app's machines."""
        if release and self.release_kind is not None:
            return self.release_kind, self.release_url_var
        return self.kind, self.url_var


@record
class FlyConfig:
    path: str
    facts: FlyFacts


@record
class ProdView:
    root: str
    settings: Settings
    docs: dict[str, Document]
    repos: dict[str, Repo]
    obans: list[Oban]
    fly: list[FlyConfig]
    deps: MixDeps | None
    deps_path: str
    dep_names: frozenset[str]  # dependencies declared in any mix.exs of the project
    lock: MixLock | None
    pubsub: str | None
    evidence: bool
    gate_open: bool
    migration_repos: list[str]
    direct_var: str  # the name to suggest for a direct URL (one the project already uses)
    env_names: frozenset[str]  # env-var-like names the prod config and Fly configs mention
    bindings: dict[str, list[Binding]]  # local bindings per config file, in file order
    config_paths: list[str]
    runtime_path: str
    release: ReleaseFacts = field(default_factory=ReleaseFacts)  # rel/ scripts, Release.migrate
    app: AppFacts = field(default_factory=AppFacts)  # lib/ beyond config, Dockerfile, scripts
    event_stores: dict[str, Repo] = field(default_factory=dict)  # Commanded EventStores
    all_deps: list[tuple[str, MixDeps]] = field(default_factory=list)  # every mix.exs, read

    def direct_repo(self) -> Repo | None:
        return next((r for r in self.repos.values() if r.kind == "direct" and r.postgres), None)

    def has_dep(self, name: str) -> bool:
        return name in self.dep_names or (self.lock is not None and name in self.lock.packages)

    def locked(self, package: str) -> Version | None:
        """The version of ``package`` mix.lock pins, when there is a lock and it is a hex one."""
        return self.lock.version(package) if self.lock is not None else None


class Project:
    def __init__(self, ws: Workspace, root: str) -> None:
        self.ws = ws
        self.root = root
        self._cache_key: object = None
        self._view: ProdView | None = None
        self._worth: dict[str, tuple[bytes, bool]] = {}  # lib/ file -> (bytes, worth parsing)

    # -- files ----------------------------------------------------------------------------

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def _config_files(self) -> list[tuple[str, ElixirFacts]]:
        """config.exs with its prod imports spliced in place, then runtime.exs."""
        out: list[tuple[str, ElixirFacts]] = []
        seen: set[str] = set()

        def visit(path: str, depth: int) -> None:
            if path in seen or depth > 8:
                return
            doc = self.ws.get(path)
            if doc is None:
                return
            seen.add(path)
            facts = self.ws.elixir_facts(doc)
            out.append((path, facts))
            for fact in facts.relevant():
                if isinstance(fact, ImportConfig) and fact.admits is not Admits.NO:
                    visit(
                        os.path.normpath(os.path.join(os.path.dirname(path), fact.target)),
                        depth + 1,
                    )

        visit(self.path("config", "config.exs"), 0)
        runtime = self.runtime_path()
        doc = self.ws.get(runtime)
        if doc is not None and runtime not in seen:
            out.append((runtime, self.ws.elixir_facts(doc)))
        return out

    def runtime_path(self) -> str:
        runtime = self.path("config", "runtime.exs")
        releases = self.path("config", "releases.exs")
        if self.ws.get(runtime) is None and self.ws.get(releases) is not None:
            return releases
        return runtime

    def fly_paths(self) -> list[str]:
        """``fly.toml`` and ``fly.*.toml`` at the root, and the TOML files of ``deploy/``,
        ``fly/`` or ``.fly/`` folders (``deploy/fly/prod.toml``, ``fly/<app>/fly.toml``)."""
        names = self.ws.listdir(self.root)
        paths = [
            self.path(n)
            for n in names
            if n == "fly.toml" or (n.startswith("fly.") and n.endswith(".toml"))
        ]
        for folder in ("deploy", "fly", ".fly", "fly.io"):
            if folder in names:
                paths.extend(self.ws.walk(self.path(folder), ".toml"))
        return paths

    def lib_paths(self) -> list[str]:
        paths = list(self.ws.walk(self.path("lib"), ".ex"))
        apps = self.path("apps")
        for app in self.ws.listdir(apps):
            paths.extend(self.ws.walk(os.path.join(apps, app, "lib"), ".ex"))
        return paths

    def lib_docs(self) -> list[Document]:
        """The lib/ files that hold a word some reader looks for, parsed; the rest are only
        searched, once per version of their bytes."""
        out = []
        for path in self.lib_paths():
            data = self.ws.raw(path)
            if data is None:
                continue
            known = self._worth.get(path)
            if known is None or known[0] is not data:
                known = self._worth[path] = (data, lib_worth_parsing(path, data))
            if known[1]:
                doc = self.ws.get(path)
                if doc is not None:
                    out.append(doc)
        return out

    def mix_paths(self) -> list[str]:
        paths = [self.path("mix.exs")]
        apps = self.path("apps")
        paths.extend(os.path.join(apps, a, "mix.exs") for a in self.ws.listdir(apps))
        return paths

    # -- the view -------------------------------------------------------------------------

    def view(self, settings: Settings) -> ProdView:
        configs = self._config_files()
        docs: dict[str, Document] = {}
        key_parts: list[object] = [settings, self.ws.epoch]
        for path, facts in configs:
            key_parts.append((path, id(facts), facts.relevant_generation))
        others = [*self.fly_paths(), *self.mix_paths(), self.path("mix.lock")]
        for path in others:
            doc = self.ws.get(path)
            if doc is not None:
                docs[path] = doc
                key_parts.append((path, id(doc), doc.revision))
        # lib/, migrations and deploy files: their bytes (parsed or not) are the key
        for path in [
            *self.lib_paths(),
            *migration_paths(self.ws, self.root),
            *deploy_paths(self.ws, self.root),
        ]:
            key_parts.append((path, self.ws.raw(path)))
        for path, _ in configs:
            doc = self.ws.get(path)
            if doc is not None:
                docs[path] = doc
        key = tuple(key_parts)
        if self._view is not None and key == self._cache_key:
            # the same bytes everywhere: lib/ and deploy documents parsed last time still hold
            self._view.docs = {**self._view.docs, **docs}
            return self._view
        self._view = _build(self, settings, configs, docs)
        self._cache_key = key
        return self._view


def fly_env_literals(fly: list[FlyConfig]) -> dict[str, str]:
    """``[env]`` values every Fly config of the project agrees on: what ``System.get_env``
    returns in the release (a variable two configs set differently is left out)."""
    seen: dict[str, set[str]] = {}
    for config in fly:
        for entry in config.facts.env:
            seen.setdefault(entry.key, set()).add(entry.value)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


@record(frozen=True)
class _UrlClass:
    kind: str
    url_var: str | None
    summary: str
    literal: bool
    release_kind: str | None = None  # in Fly's release machine, when a branch says otherwise
    release_var: str | None = None


def _url_class(
    value: Value,
    path: str,
    settings: Settings,
    bindings: dict[str, list[Binding]],
    env: dict[str, str],
    depth: int = 0,
) -> _UrlClass:
    value = resolve(value, path, bindings)
    if isinstance(value, EnvRead):
        if settings.is_direct_var(value.var):
            return _UrlClass(
                "direct", value.var, f"reads {value.var}: direct, bypassing PgBouncer", False
            )
        literal = env.get(value.var)
        if literal is not None and classify_url(literal) != "unknown":
            kind = classify_url(literal)
            return _UrlClass(kind, value.var, f"reads {value.var}, set in [env] ({kind})", False)
        return _UrlClass(
            "pooled", value.var, f"reads {value.var}: pooled, through PgBouncer", False
        )
    if isinstance(value, Str) and value.value:
        kind = classify_url(value.value)
        return _UrlClass(kind, None, f"a literal URL ({kind})", kind == "pooled")
    split = branches(value) if isinstance(value, Other) and depth < 4 else None
    if split is not None:
        yes = _url_class(split.when_true, path, settings, bindings, env, depth + 1)
        no = _url_class(split.when_false, path, settings, bindings, env, depth + 1)
        bound = {b.name: b.value.text for b in bindings.get(path, [])}
        in_release = release_branch(split.condition, bound)
        if in_release is not None:  # Fly's release machine takes one branch, machines the other
            release, runtime = (yes, no) if in_release else (no, yes)
            return _UrlClass(
                runtime.kind,
                runtime.url_var,
                f"chosen by RELEASE_COMMAND: {runtime.summary}; in the release command, "
                f"{release.summary}",
                runtime.literal,
                release.kind,
                release.url_var,
            )
        if yes.kind == no.kind:
            var = yes.url_var if yes.url_var == no.url_var else None
            return _UrlClass(
                yes.kind, var, f"chosen by a condition; either way {yes.kind}", yes.literal
            )
        return _UrlClass(
            "unknown",
            None,
            f"chosen by a condition: {yes.kind} or {no.kind}; mpg-lsp cannot tell which applies",
            False,
        )
    return _UrlClass(
        "unknown", None, "computed at run time; mpg-lsp cannot tell where it points", False
    )


def _classify(
    merged: MergedOptions,
    settings: Settings,
    bindings: dict[str, list[Binding]],
    env: dict[str, str] | None = None,
) -> _UrlClass:
    env = env or {}
    found = merged.get("url")
    if found is not None:
        path, pair, _ = found
        return _url_class(pair.value, path, settings, bindings, env)
    host = merged.value("hostname")
    if isinstance(host, EnvRead) and host.var in env:
        host = Str(host.span, host.text, env[host.var])
    if isinstance(host, Str) and host.value:
        port_value = merged.value("port")
        port = getattr(port_value, "value", None) if port_value is not None else None
        kind = classify_host(host.value, port if isinstance(port, int) else None)
        return _UrlClass(kind, None, f"hostname {host.value} ({kind})", kind == "pooled")
    return _UrlClass("unknown", None, "no url in the prod config", False)


def _guards_admit(call: ConfigCall, path: str, bindings: dict[str, list[Binding]]) -> bool:
    """`if prod? do` where `prod? = config_env() == :prod` earlier in the file: does prod run it?"""
    for name, wanted in call.guards:
        earlier = [
            b for b in bindings.get(path, []) if b.name == name and b.span.start < call.span.start
        ]
        verdict = earlier[-1].verdict if earlier else None
        if verdict is None:
            continue  # a condition mpg-lsp cannot judge may apply
        if (verdict is Admits.YES) != wanted:
            return False
    return True


def _build(
    project: Project,
    settings: Settings,
    configs: list[tuple[str, ElixirFacts]],
    docs: dict[str, Document],
) -> ProdView:
    ws = project.ws
    runtime = project.runtime_path()
    calls: list[Located] = []
    bindings: dict[str, list[Binding]] = {}
    names: set[str] = set()
    evidence = False
    for path, facts in configs:
        for fact in facts.relevant():
            if isinstance(fact, Binding):
                bindings.setdefault(path, []).append(fact)
            elif isinstance(fact, Mentions):
                names |= fact.names
                evidence = evidence or fact.pooler
    for path, facts in configs:
        for fact in facts.relevant():
            if (
                isinstance(fact, ConfigCall)
                and fact.admits is not Admits.NO
                and _guards_admit(fact, path, bindings)
            ):
                calls.append(Located(path, fact))

    by_key: dict[str, list[Located]] = {}
    ecto_repos: list[str] = []
    event_stores: list[str] = []
    pubsub: str | None = None
    for located in calls:
        call = located.call
        if call.key is None:
            if isinstance(call.opts, KeywordList):
                pair = call.opts.get("ecto_repos")
                if pair is not None:
                    items = getattr(pair.value, "items", ())
                    ecto_repos.extend(i.name for i in items if isinstance(i, Alias))
                pair = call.opts.get("event_stores")
                if pair is not None:
                    items = getattr(pair.value, "items", ())
                    event_stores.extend(i.name for i in items if isinstance(i, Alias))
            continue
        by_key.setdefault(call.key, []).append(located)
        if call.key.endswith("Endpoint") and isinstance(call.opts, KeywordList):
            pair = call.opts.get("pubsub_server")
            if pair is not None and isinstance(pair.value, Alias):
                pubsub = pair.value.name

    # lib/: repo adapters, application children
    lib = LibFacts.empty()
    lib_docs = project.lib_docs()
    for doc in lib_docs:
        docs[doc.path] = doc
        lib = lib.union(ws.derived(doc, "lib", read_lib))
    release = read_release(ws, project.root, lib_docs)
    config_docs = [docs[p] for p, _ in configs if p in docs]
    app = read_app(ws, project.root, lib_docs, config_docs)
    docs.update(app.docs)
    pubsub = pubsub or lib.pubsub

    # Every mix.exs of the project (an umbrella's apps too). A dependency a fix adds goes to
    # the one that already depends on Oban (in an umbrella, the app that runs it), else the root.
    all_deps: list[tuple[str, MixDeps]] = []
    for path in project.mix_paths():
        mix_doc = docs.get(path)
        if mix_doc is not None:
            all_deps.append((path, ws.derived(mix_doc, "deps", read_deps)))
    dep_names = {name for _, d in all_deps for name in d.names}
    deps_path, deps = next(
        ((p, d) for p, d in all_deps if "oban" in d.names),
        all_deps[0] if all_deps else (project.path("mix.exs"), None),
    )
    lock_doc = docs.get(project.path("mix.lock"))
    lock = ws.derived(lock_doc, "lock", read_lock) if lock_doc is not None else None
    postgrex = "postgrex" in dep_names or (lock is not None and "postgrex" in lock.packages)

    obans = find_obans(by_key, bindings, runtime, lib)
    event_store_names = [e.name for e in app.eventstores]
    oban_repo_names = [o.repo for o in obans if o.repo]

    candidates = list(dict.fromkeys([*ecto_repos, *oban_repo_names]))
    for key in by_key:
        last = key.rsplit(".", 1)[-1]
        repo_like = last.endswith("Repo") or ".Repo." in f"{key}."
        if not key.startswith(":") and repo_like and key not in candidates:
            candidates.append(key)
    fly = []
    for path in project.fly_paths():
        fly_doc = docs.get(path)
        if fly_doc is not None:
            fly.append(FlyConfig(path, ws.derived(fly_doc, "fly", read_fly)))
    env = fly_env_literals(fly)

    repos: dict[str, Repo] = {}
    event_store_repos: dict[str, Repo] = {}
    stores = list(dict.fromkeys([*event_store_names, *event_stores]))
    candidates = [c for c in candidates if c not in stores]
    for name in [*candidates, *stores]:
        merged = merge(by_key.get(name, []), bindings)
        url = _classify(merged, settings, bindings, env)
        adapter = module_name(merged.value("adapter")) or lib.adapters.get(name)
        postgres = adapter in POSTGRES_ADAPTERS if adapter else postgrex
        anchor, anchor_options = anchor_for(merged, runtime, bindings)
        url_literal = None
        found = merged.get("url")
        if found is not None:
            value = resolve(found[1].value, found[0], bindings)
            if isinstance(value, Str) and value.value:
                # the file the literal sits in: the binding's file is the pair's file
                url_literal = (found[0], value)
        (event_store_repos if name in stores else repos)[name] = Repo(
            name,
            merged,
            url.kind,
            url.url_var,
            url.summary,
            url.literal,
            postgres,
            anchor,
            anchor_options,
            url_literal,
            url.release_kind,
            url.release_var,
        )

    for config in fly:
        names |= config.facts.names
        evidence = evidence or config.facts.evidence
    evidence = evidence or any(r.literal_pooled for r in repos.values())
    direct_names = sorted(n for n in names if settings.is_direct_var(n))
    evidence = evidence or bool(direct_names)
    # suggest the direct variable the project already uses, else Fly's documented name
    direct_var = (
        DEFAULT_DIRECT_VAR
        if not direct_names or DEFAULT_DIRECT_VAR in direct_names
        else direct_names[0]
    )

    if settings.enabled is not None:
        gate = settings.enabled
    else:
        has_pg_repo = any(r.postgres and r.options.calls for r in repos.values())
        gate = evidence or (bool(fly) and has_pg_repo)

    return ProdView(
        root=project.root,
        settings=settings,
        docs=docs,
        repos=repos,
        obans=obans,
        fly=fly,
        deps=deps,
        deps_path=deps_path,
        dep_names=frozenset(dep_names),
        lock=lock,
        pubsub=pubsub,
        evidence=evidence,
        gate_open=gate,
        migration_repos=ecto_repos,
        direct_var=direct_var,
        env_names=frozenset(names),
        bindings=bindings,
        config_paths=[p for p, _ in configs],
        runtime_path=runtime,
        release=release,
        app=app,
        event_stores=event_store_repos,
        all_deps=all_deps,
    )
