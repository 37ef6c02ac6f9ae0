"""MPG309: the connections a deployed app opens, against its MPG plan's limits.

Per Machine, every repo keeps ``pool_size`` × ``pool_count`` connections, and each Oban instance
with the Postgres notifier and each LISTEN client of the supervision tree one more; every
process group is assumed to start every repo, on ``machines`` Machines (the setting, else
``min_machines_running`` for the ``app`` group, at least Fly's 2 per group). A deploy adds the
release command's migration pool (2 per migrated repo), and a blue-green deploy runs the old
and the new Machines side by side. Pooled connections are
PgBouncer's clients; direct ones are compared with the plan's database connections, the only
published figure. What cannot be read (a computed pool size, a repo whose URL cannot be
classified) is said, or makes the rule say nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from mpg_lsp.project.merge import resolve
from mpg_lsp.project.migrating import migrated, route, runs_migrations
from mpg_lsp.project.model import FlyConfig, ProdView, Repo
from mpg_lsp.project.release import migration_path
from mpg_lsp.project.values import Int, Value
from mpg_lsp.records import record
from mpg_lsp.rules.base import Finding, rule

# Fly's connection limits per plan: (client connections, database connections)
LIMITS = {
    "basic": (200, 50),
    "starter": (200, 50),
    "launch": (500, 150),
    "scale": (1000, 300),
    "performance": (1000, 300),
}
DEFAULT_MACHINES = 2  # `fly deploy` creates two Machines per process group for availability
ECTO_POOL_SIZE = 10
MIGRATION_POOL = 2  # Ecto.Migrator.with_repo starts the repo with pool_size 2
_ENV_INT = re.compile(
    r'System\.get_env\(\s*"(?P<var>\w+)"\s*(?:,\s*"(?P<default>\d+)"\s*)?\)'
    r'(?:\s*\|\|\s*"(?P<fallback>\d+)")?'
)


@record(frozen=True)
class Pool:
    repo: Repo
    per_machine: int
    text: str  # "MyApp.Repo 10 (Ecto's default)"


@record(frozen=True)
class Excess:
    """One limit the estimate goes over."""

    what: str  # "client connections to PgBouncer"
    peak: int
    running: int
    limit: int
    arithmetic: str
    anchor: Repo  # the repo whose pool counts most: where the finding goes


def _env_value(fly: FlyConfig | None, var: str) -> str | None:
    if fly is None:
        return None
    found = [v.value for v in fly.facts.env if v.key == var]
    return found[-1] if found else None


def _number(
    value: Value | None, view: ProdView, repo: Repo, key: str, fly: FlyConfig | None, default: int
) -> tuple[int, str] | None:
    """A pool option's number and how it was read; None when it cannot be known."""
    if value is None:
        return default, "not set"
    found = repo.options.get(key)
    path = found[0] if found else ""
    value = resolve(value, path, view.bindings)
    if isinstance(value, Int):
        return value.value, ""
    m = _ENV_INT.search(value.text)
    if m is None:
        return None
    var = m.group("var")
    set_in_env = _env_value(fly, var)
    if set_in_env is not None and set_in_env.strip().isdigit():
        return int(set_in_env), f"{var} = {set_in_env} in [env]"
    fallback = m.group("fallback") or m.group("default")
    if fallback is None:
        return None
    return int(fallback), f"{var} unset: {fallback}"


def _pool(view: ProdView, repo: Repo, fly: FlyConfig | None) -> Pool | None:
    size = _number(repo.options.value("pool_size"), view, repo, "pool_size", fly, ECTO_POOL_SIZE)
    count = _number(repo.options.value("pool_count"), view, repo, "pool_count", fly, 1)
    if size is None or count is None or repo.options.opaque:
        return None
    (n, how), (pools, _) = size, count
    how = "Ecto's default" if how == "not set" else how
    text = f"{repo.name} {n}" + (f" × {pools} pools" if pools != 1 else "")
    return Pool(repo, n * pools, text + (f" ({how})" if how else ""))


def _fly_config(view: ProdView) -> FlyConfig | None:
    root = os.path.join(view.root, "fly.toml")
    return next((f for f in view.fly if f.path == root), view.fly[0] if view.fly else None)


def _machines(view: ProdView, fly: FlyConfig) -> list[tuple[str, int, str]]:
    """(process group, Machines, why that many) for each group of the app."""
    groups = [v.key for v in fly.facts.processes] or ["app"]
    setting = view.settings.machines
    out = []
    for group in dict.fromkeys(groups):
        if isinstance(setting, int):
            out.append((group, setting, "the `machines` setting"))
        elif setting is not None and group in setting:
            out.append((group, setting[group], "the `machines` setting"))
        elif group == "app" and fly.facts.min_machines_running is not None:
            n = max(DEFAULT_MACHINES, fly.facts.min_machines_running)
            out.append((group, n, f"min_machines_running = {fly.facts.min_machines_running}"))
        else:
            out.append((group, DEFAULT_MACHINES, "Fly's default per process group"))
    return out


def _release_pools(view: ProdView, fly: FlyConfig) -> dict[str, list[str]]:
    """The release command's migration connections, by kind: {"pooled": [repo, ...], ...}."""
    command = fly.facts.release_command.value if fly.facts.release_command else ""
    out: dict[str, list[str]] = {"pooled": [], "direct": []}
    if not runs_migrations(command):
        return out
    path = migration_path(command, view.release)
    found = migrated(view, path.repos, path.ecto_repos)
    judged = route(view, command)
    needing = {r.name for r in judged.needing} if judged else set()
    satisfied = judged.satisfied if judged else set()
    for name, repo in found:
        if repo is None or repo.kind == "unknown":
            continue
        through_pooler = name in needing or (repo.kind == "pooled" and not repo.url_var)
        if repo.kind == "pooled" and repo.url_var in satisfied:
            through_pooler = False
        out["pooled" if through_pooler else "direct"].append(name)
    return out


def _budget(view: ProdView) -> Iterator[Excess]:
    """Each limit the estimate goes over, with its arithmetic."""
    fly = _fly_config(view)
    if fly is None:
        return
    repos = [r for r in view.repos.values() if r.postgres and r.options.calls]
    counted = [r for r in repos if r.kind in ("pooled", "direct")]
    pools = [_pool(view, r, fly) for r in counted]
    if not counted or any(p is None for p in pools):
        return  # a pool size that cannot be read: no estimate rather than a wrong one
    machines = _machines(view, fly)
    total_machines = sum(n for _, n, _ in machines)
    bluegreen = (fly.facts.strategy or "").lower() == "bluegreen"
    release = _release_pools(view, fly)
    plan = view.settings.mpg_plan
    client_limit, database_limit = LIMITS[plan]
    skipped = [r.name for r in repos if r not in counted]
    for kind, limit, what in (
        ("pooled", client_limit, "client connections to PgBouncer"),
        ("direct", database_limit, "direct connections to Postgres"),
    ):
        mine = [p for p in pools if p is not None and p.repo.kind == kind]
        # one connection each, outside the pools: Oban's Postgres notifier, and LISTEN clients
        # in the supervision tree (EctoWatch, Postgrex.Notifications...)
        extras = [
            (f"{o.name}'s Postgres notifier", view.repos[o.repo])
            for o in view.obans
            if o.listens and o.repo in view.repos and view.repos[o.repo].kind == kind
        ]
        extras += [
            (f"{c.kind} LISTEN", view.repos[c.repo])
            for c in view.app.listen
            if c.repo in view.repos and view.repos[c.repo].kind == kind
        ]
        per_machine = sum(p.per_machine for p in mine) + len(extras)
        if not per_machine:
            continue
        running = total_machines * per_machine
        migrating = MIGRATION_POOL * len(release[kind])
        peak = max(running + migrating, 2 * running if bluegreen else 0)
        if peak <= limit:
            continue
        parts = [p.text for p in mine] + [f"{label} 1" for label, _ in extras]
        groups = " + ".join(f"{g} {n} ({why})" for g, n, why in machines)
        steps = [
            f"per Machine {' + '.join(parts)} = {per_machine}",
            f"Machines: {groups} = {total_machines}",
            f"running: {total_machines} × {per_machine} = {running}",
        ]
        if migrating:
            steps.append(
                f"release_command migrations +{migrating} ({', '.join(release[kind])}, pool 2)"
            )
        if bluegreen:
            steps.append(f"bluegreen deploys run old and new Machines together: {2 * running}")
        assumed = ["every process group starts every repo"] if len(machines) > 1 else []
        assumed.append(f"plan {plan} (`mpg-plan`)")
        if kind == "direct":
            assumed.append("direct connections share the plan's database connections")
        if skipped:
            assumed.append(f"not counted: {', '.join(skipped)} (URL not classified)")
        anchor = max(mine, key=lambda p: p.per_machine).repo if mine else extras[0][1]
        arithmetic = "; ".join(steps) + ". Assumed: " + "; ".join(assumed) + "."
        yield Excess(what, peak, running, limit, arithmetic, anchor)


def _where(view: ProdView, repo: Repo) -> tuple[str, int, int] | None:
    found = repo.options.get("pool_size")
    if found is not None:
        return found[0], found[1].span.start, found[1].span.end
    if repo.anchor is None:
        return None
    span = repo.anchor.call.key_span
    return repo.anchor.path, span.start, span.end


@rule(
    "MPG309",
    "connection-budget",
    "information",
    "The app's estimated connections exceed its MPG plan's limits.",
    fixable=False,
)
def connection_budget(view: ProdView) -> Iterator[Finding]:
    plan = view.settings.mpg_plan.capitalize()
    for excess in _budget(view):
        where = _where(view, excess.anchor)
        if where is None:
            continue
        path, start, end = where
        when = (
            f" at the peak of a deploy ({excess.running} while running)"
            if excess.running < excess.peak
            else ""
        )
        yield Finding(
            "MPG309",
            path,
            start,
            end,
            f"About {excess.peak} {excess.what}{when}, over the {plan} plan's {excess.limit}: "
            f"{excess.arithmetic} Lower pool sizes or Machines, or set `mpg-plan` and "
            "`machines` in .mpg-lsp.toml if these figures are wrong.",
            "information",
        )
