"""Which repos a command migrates, and whether it reaches them through the pooler.

A command is followed as far as the project's files go (``rel/overlays/bin/*``, ``rel/env.sh``,
the ``Release`` function that hands repos to ``Ecto.Migrator``): the repos it migrates, those
that read a pooled variable it does not point elsewhere, and those mpg-lsp cannot classify.
The release command, boot commands and manual ``fly ssh console`` migrations share this.
"""

from __future__ import annotations

from mpg_lsp.project.model import ProdView, Repo
from mpg_lsp.project.release import MigrationPath, migration_path
from mpg_lsp.project.shell import Rebind, rebinds, split_command
from mpg_lsp.records import record, replace


def runs_migrations(command: str) -> bool:
    return "migrate" in command


@record
class Route:
    path: MigrationPath
    pooled: list[Repo]  # migrated repos that read their URL from a pooled variable
    needing: list[Repo]  # ...of which nothing points at a direct URL
    unknown: list[str]  # migrated repos whose URL mpg-lsp cannot classify
    satisfied: set[str]  # variables the command or its scripts point elsewhere
    direct: list[Rebind]  # `X=$DIRECT` rebinds in the command itself


def migrated(
    view: ProdView, repos: tuple[str, ...], ecto_repos: bool, release: bool = False
) -> list[tuple[str, Repo | None]]:
    """The Postgres repos migrated (and names the config does not know, as None), each as it
    connects where the migration runs: in Fly's release machine (``release``), a url chosen
    by ``RELEASE_COMMAND`` reads its release branch."""
    names = list(repos)
    if ecto_repos:
        names += view.migration_repos or [
            n for n, r in view.repos.items() if r.postgres and r.options.calls
        ]
    out: list[tuple[str, Repo | None]] = []
    for name in dict.fromkeys(names):
        repo = view.repos.get(name)
        if repo is not None and repo.during(release) != (repo.kind, repo.url_var):
            kind, var = repo.during(release)
            repo = replace(repo, kind=kind, url_var=var)
        if repo is None or repo.postgres:
            out.append((name, repo))
    return out


def route(view: ProdView, command: str, release: bool = False) -> Route | None:
    """How ``command`` migrates (``release``: as the release command, in Fly's release
    machine); None when it migrates nothing, or only direct repos."""
    argv = split_command(command)
    if not runs_migrations(command) or not argv:
        return None  # flyctl cannot split it either; that is not a pooler question
    path = migration_path(command, view.release)
    found = migrated(view, path.repos, path.ecto_repos, release)
    if not found or all(r is not None and r.kind == "direct" for _, r in found):
        return None
    # `sh -lc "DATABASE_URL=\"$DIRECT\" ..."`: the rebind as the shell receives it
    decoded = rebinds(" ".join(argv))
    return judge(view, path, found, rebinds(command), decoded)


def judge(
    view: ProdView,
    path: MigrationPath,
    found: list[tuple[str, Repo | None]],
    own: list[Rebind],
    decoded: list[Rebind] | None = None,
) -> Route:
    settings = view.settings
    pooled_vars = {r.url_var for r in view.repos.values() if r.kind == "pooled" and r.url_var}
    satisfied = {
        rb.var
        for rb in (*own, *(decoded or ()), *path.rebinds)
        if rb.source != rb.var
        and not settings.is_pooled_var(rb.source)
        and rb.source not in pooled_vars
    }
    # a literal pooler URL is the config's business: no command can redirect it
    pooled = [r for _, r in found if r is not None and r.kind == "pooled" and r.url_var]
    needing = [r for r in pooled if r.url_var not in satisfied]
    unknown = [n for n, r in found if r is None or r.kind == "unknown"]
    direct = [rb for rb in own if settings.is_direct_var(rb.source)]
    return Route(path, pooled, needing, unknown, satisfied, direct)


def names(repos: list[Repo]) -> str:
    listed = [r.name for r in repos]
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
