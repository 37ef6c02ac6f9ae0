"""Fly config rules: the release command and how it reaches the database."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator

from mpg_lsp.project.model import DEFAULT_POOLED_VAR, ProdView
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import shell_quote, toml_string

SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}
_REBIND = re.compile(r"(?:^|[\s;&|('\"])([A-Za-z_][A-Za-z0-9_]*)=\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_SHELL_SYNTAX = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*=|\$|&&|\|\||;|\||`|>|<")


def _argv(command: str) -> list[str] | None:
    try:
        return shlex.split(command)
    except ValueError:
        return None


def shell_script(command: str) -> tuple[list[str], str] | None:
    """``(prefix argv, script)`` when the command runs a shell with ``-c``, else None."""
    argv = _argv(command)
    if not argv or os.path.basename(argv[0]) not in SHELLS:
        return None
    for i, arg in enumerate(argv[1:], start=1):
        if arg.startswith("-") and "c" in arg and i + 1 < len(argv):
            return argv[: i + 1], argv[i + 1]
        if not arg.startswith("-"):
            return None
    return None


def runs_migrations(command: str) -> bool:
    return "migrate" in command


def with_shell(script: str) -> str:
    return f"/bin/sh -lc {shell_quote(script)}"


def prefix_env(command: str, assignment: str) -> str:
    """The command with ``assignment`` in front of what it runs, inside a shell."""
    wrapped = shell_script(command)
    if wrapped is None:
        return with_shell(f"{assignment} {command.strip()}")
    prefix, script = wrapped
    return " ".join(shlex.quote(a) for a in prefix) + " " + shell_quote(f"{assignment} {script}")


def _migration_var(view: ProdView) -> tuple[str, bool]:
    """The URL variable migrations read, and whether every migrated repo is already direct."""
    repos = [view.repos[n] for n in view.migration_repos if n in view.repos]
    repos = [r for r in repos if r.postgres] or [r for r in view.repos.values() if r.postgres]
    if repos and all(r.kind == "direct" for r in repos):
        return "", True
    for repo in repos:
        if repo.kind == "pooled" and repo.url_var:
            return repo.url_var, False
    return DEFAULT_POOLED_VAR, False


@rule(
    "MPG301",
    "migrations-through-pooler",
    "warning",
    "The release command runs migrations through PgBouncer instead of the direct URL.",
)
def migrations_through_pooler(view: ProdView) -> Iterator[Finding]:
    var, all_direct = _migration_var(view)
    if all_direct:
        return
    for fly in view.fly:
        release = fly.facts.release_command
        if release is None or not runs_migrations(release.value):
            continue
        rebinds = _REBIND.findall(release.value)
        if any(view.settings.is_direct_var(source) for _, source in rebinds):
            continue
        new = prefix_env(release.value, f"{var}=${view.direct_var}")
        start, end = release.value_range
        yield Finding(
            "MPG301",
            fly.path,
            start,
            end,
            f"release_command runs migrations with {var}, the pooled URL; migrations need a "
            f"session to themselves. Point {var} at ${view.direct_var} for the release command.",
            "error" if view.evidence else "warning",
            (
                Fix(
                    f"Run migrations over {view.direct_var}",
                    (Edit(fly.path, start, end, toml_string(new, release.quote)),),
                    preferred=True,
                ),
            ),
        )


@rule(
    "MPG302",
    "release-command-needs-shell",
    "error",
    "The release command uses shell syntax, but Fly runs it without a shell.",
)
def needs_shell(view: ProdView) -> Iterator[Finding]:
    for fly in view.fly:
        release = fly.facts.release_command
        if release is None or not _SHELL_SYNTAX.search(release.value):
            continue
        if shell_script(release.value) is not None:
            continue
        argv = _argv(release.value)
        if argv and os.path.basename(argv[0]) in SHELLS:
            continue  # `sh script.sh`: a shell runs it
        start, end = release.value_range
        yield Finding(
            "MPG302",
            fly.path,
            start,
            end,
            "release_command uses shell syntax (variables, `&&`, pipes...) but flyctl splits it "
            "into arguments and runs no shell, so nothing is expanded. Wrap it in `/bin/sh -lc`.",
            "error",
            (
                Fix(
                    "Run it with `/bin/sh -lc`",
                    (Edit(fly.path, start, end, toml_string(with_shell(release.value.strip()), release.quote)),),
                    preferred=True,
                ),
            ),
        )
