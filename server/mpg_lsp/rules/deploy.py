"""Deploy rules: migrations run at every boot or by hand through the pooler, and a Dockerfile
ENTRYPOINT that swallows the release command."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from mpg_lsp.project.deploy import BootCommand, ManualMigration, entrypoint_shell
from mpg_lsp.project.migrating import Route, judge, migrated, route, runs_migrations
from mpg_lsp.project.migrating import names as repo_names
from mpg_lsp.project.model import FlyConfig, ProdView
from mpg_lsp.project.release import MigrationPath
from mpg_lsp.project.shell import (
    prefix_points,
    shell_quote,
    shell_script,
    simple_commands,
    split_command,
    with_env,
    with_prefixes,
)
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import toml_string


def _severity(view: ProdView) -> str:
    return "error" if view.evidence else "warning"


def _variable(found: Route) -> str | None:
    """The one pooled variable the migrated repos read, when there is one."""
    variables = {r.url_var for r in found.pooled if r.url_var}
    return variables.pop() if len(variables) == 1 else None


def _boot_edits(view: ProdView, boot: BootCommand, var: str) -> tuple[Edit, ...]:
    """``VAR="$DIRECT"`` before the command that migrates, and no other."""
    doc = view.docs.get(boot.path)
    if doc is None:
        return ()
    source = view.direct_var
    if boot.exec_form is not None:
        import json  # only for exec-form commands: json is kept off `check`'s start-up

        argv = list(boot.exec_form)
        wrapped = shell_script(argv)
        if wrapped is not None:
            prefix, script, rest = wrapped
            new_script = with_prefixes(script, var, source, runs_migrations)
            new = [*prefix, new_script, *rest] if new_script is not None else None
        else:
            words = " ".join(shell_quote(a) if re.search(r"[^\w@%+=:,./-]", a) else a for a in argv)
            new_script = with_prefixes(words, var, source, runs_migrations)
            new = ["/bin/sh", "-c", new_script] if new_script is not None else None
        if new is None:
            return ()
        return (Edit(boot.path, boot.start, boot.end, json.dumps(new, ensure_ascii=False)),)
    # shell text (a shell-form CMD, a script): insertions only, so its layout stays
    text = doc.text[boot.start : boot.end].decode("utf-8", errors="replace")
    return tuple(
        Edit(boot.path, at, at, f'{lead}{var}="${source}" ')
        for point, lead in prefix_points(text, var, runs_migrations)
        for at in [boot.start + len(text[:point].encode())]
    )


def _boot_location(view: ProdView, boot: BootCommand) -> tuple[int, int]:
    """The command that migrates, in shell text; the whole instruction in exec form."""
    doc = view.docs.get(boot.path)
    if doc is None or boot.exec_form is not None:
        return boot.start, boot.end
    text = doc.text[boot.start : boot.end].decode("utf-8", errors="replace")
    for start, end in simple_commands(text):
        if runs_migrations(text[start:end]):
            offset = boot.start + len(text[:start].encode())
            return offset, offset + len(text[start:end].rstrip().encode())
    return boot.start, boot.end


def _process_edit(fly: FlyConfig, value_range: tuple[int, int], quote: str, new: str) -> Edit:
    start, end = value_range
    return Edit(fly.path, start, end, toml_string(new, quote or '"'))


def _migration_finding(
    view: ProdView, path: str, start: int, end: int, what: str, found: Route, fixes: tuple[Fix, ...]
) -> Finding:
    variables = sorted({r.url_var for r in found.needing if r.url_var})
    return Finding(
        "MPG306",
        path,
        start,
        end,
        f"{what} runs migrations at every machine boot for {repo_names(found.needing)} with "
        f"{', '.join(variables)}, the pooled URL: each machine migrates through PgBouncer, "
        "concurrently. Run them once from release_command over the direct URL, or point "
        f"{' and '.join(variables)} at ${view.direct_var} for the migration.",
        _severity(view),
        fixes,
    )


def _boot_commands(view: ProdView) -> Iterator[BootCommand]:
    """Boot commands that mention a migration themselves. A server script counts only when
    something is known to boot it (the Dockerfile's CMD or a [processes] entry)."""
    starts = [b.text for b in view.app.boot if b.where in ("CMD", "ENTRYPOINT")]
    starts += [p.value for fly in view.fly for p in fly.facts.processes]
    for boot in view.app.boot:
        if boot.where.endswith("bin/server") and not any("server" in s for s in starts):
            continue
        if runs_migrations(boot.text):
            yield boot


@rule(
    "MPG306",
    "migrations-at-boot-through-pooler",
    "warning",
    "Migrations run at every machine boot (an Ecto.Migrator child, CMD, [processes], "
    "bin/server) through PgBouncer.",
)
def migrations_at_boot(view: ProdView) -> Iterator[Finding]:
    for child in view.app.migrators:
        if child.skip == "true":
            continue
        repos = migrated(view, child.repos, child.ecto_repos)
        verdict = judge(view, MigrationPath(child.repos, child.ecto_repos, (), ()), repos, [])
        if not verdict.needing:
            continue
        finding = _migration_finding(
            view,
            child.path,
            child.start,
            child.end,
            "The Ecto.Migrator child",
            verdict,
            (),
        )
        if child.skip == "unknown":
            yield Finding(
                finding.code,
                finding.path,
                finding.start,
                finding.end,
                finding.message[:-1] + f", unless `skip: {child.skip_text}` is true in production.",
                "information",
            )
        else:
            yield finding
    for boot in _boot_commands(view):
        found = route(view, boot.text)
        if found is None or not found.needing:
            continue
        var = _variable(found)
        edits = _boot_edits(view, boot, var) if var is not None else ()
        fixes = (Fix(f"Migrate over {view.direct_var}", edits, preferred=True),) if edits else ()
        where = boot.where if boot.where.startswith("rel/") else f"The Dockerfile's {boot.where}"
        start, end = _boot_location(view, boot)
        yield _migration_finding(view, boot.path, start, end, where, found, fixes)
    for fly in view.fly:
        for process in fly.facts.processes:
            found = route(view, process.value)
            if found is None or not found.needing:
                continue
            var = _variable(found)
            new = with_env(process.value, var, view.direct_var, runs_migrations) if var else None
            fixes = (
                (
                    Fix(
                        f"Migrate over {view.direct_var}",
                        (_process_edit(fly, process.value_range, process.quote, new),),
                        preferred=True,
                    ),
                )
                if new is not None
                else ()
            )
            start, end = process.value_range
            yield _migration_finding(
                view, fly.path, start, end, f"[processes] {process.key}", found, fixes
            )


def _remote_command(view: ProdView, manual: ManualMigration, var: str) -> str | None:
    """Fly's form: ``/bin/sh -lc "VAR=\\"$DIRECT\\" <command>"`` (the command runs without a
    shell on the machine); a command that already runs a shell gets the assignment inside."""
    argv = split_command(manual.command)
    if argv is None:
        return None
    if shell_script(argv) is not None:
        return with_env(manual.command, var, view.direct_var)
    inner = re.sub(r'([\\"$`])', r"\\\1", manual.command)
    return f'/bin/sh -lc "{var}=\\"${view.direct_var}\\" {inner}"'


def _manual_edit(view: ProdView, manual: ManualMigration, var: str) -> Edit | None:
    doc = view.docs.get(manual.path)
    remote = _remote_command(view, manual, var)
    if doc is None or remote is None:
        return None
    line_start = doc.text.rfind(b"\n", 0, manual.start) + 1
    before = doc.text[line_start : manual.start].decode("utf-8", errors="replace")
    if manual.path.endswith((".yml", ".yaml")) and re.search(r":\s*[\"']", before):
        return None  # inside a quoted YAML scalar: its own escapes would have to change too
    local = f"'{remote}'" if "'" not in remote else shell_quote(remote)
    if manual.makefile:
        local = local.replace("$", "$$")
    return Edit(manual.path, manual.start, manual.end, local)


@rule(
    "MPG307",
    "manual-migrate-without-direct",
    "warning",
    "A script or workflow runs migrations with `fly ssh console` over the pooled URL.",
)
def manual_migrate(view: ProdView) -> Iterator[Finding]:
    for manual in view.app.manual:
        found = route(view, manual.command)
        if found is None or not found.needing:
            continue
        var = _variable(found)
        edit = _manual_edit(view, manual, var) if var is not None else None
        variables = sorted({r.url_var for r in found.needing if r.url_var})
        yield Finding(
            "MPG307",
            manual.path,
            manual.start,
            manual.end,
            f"`fly ssh console` runs migrations for {repo_names(found.needing)} with "
            f"{', '.join(variables)}, the pooled URL, so they go through PgBouncer. Point "
            f"{' and '.join(variables)} at ${view.direct_var} for the command, as Fly's guide "
            "does.",
            "warning",
            (Fix(f"Migrate over {view.direct_var}", (edit,), preferred=True),)
            if edit is not None
            else (),
        )


@rule(
    "MPG308",
    "entrypoint-shell-swallows-release-command",
    "error",
    "The Dockerfile's ENTRYPOINT is a shell with `-c`, so the release command never runs whole.",
    fixable=False,
)
def entrypoint_swallows_release(view: ProdView) -> Iterator[Finding]:
    dockerfile = view.app.dockerfile
    found = entrypoint_shell(dockerfile) if dockerfile is not None else None
    if dockerfile is None or found is None:
        return
    entrypoint, shell_form = found
    for fly in view.fly:
        release = fly.facts.release_command
        if release is None:
            continue
        argv = split_command(release.value)
        if not argv or (not shell_form and len(argv) < 2):
            continue  # `sh -c /app/bin/migrate`: a one-word command still runs
        config = os.path.relpath(fly.path, view.root)
        if shell_form:
            what = (
                "is in shell form, so Docker runs it with `/bin/sh -c` and drops every "
                f"argument: the release command of {config} is never run"
            )
        else:
            what = (
                f"runs its first argument as a script: the release command of {config} "
                f"becomes `{' '.join(entrypoint.exec_form or ())} {argv[0]}` with the rest as "
                "positional parameters"
            )
        yield Finding(
            "MPG308",
            dockerfile.path,
            entrypoint.start,
            entrypoint.end,
            f"ENTRYPOINT {what}. The machine exits 0 and the deploy goes on with migrations "
            "silently skipped. Drop the ENTRYPOINT, or use an exec-form one that passes its "
            "arguments on.",
            "error",
        )
        return
