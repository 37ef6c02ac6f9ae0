"""Fly config rules: how the release command reaches the database, and what ``[env]`` holds.

The release command is judged by following what it runs: an overlay script
(``rel/overlays/bin/migrate``, which may export a direct URL itself), ``rel/env.sh``, and the
``Release`` function that hands repos to ``Ecto.Migrator`` (which may pick a direct repo).
Where the files do not say, the rules say less rather than guess.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator

from mpg_lsp.project.fly_config import TomlValue
from mpg_lsp.project.merge import resolve
from mpg_lsp.project.migrating import Route, route
from mpg_lsp.project.migrating import names as repo_names
from mpg_lsp.project.model import DEFAULT_POOLED_VAR, FlyConfig, ProdView
from mpg_lsp.project.secrets import credential, masked
from mpg_lsp.project.shell import (
    needs_shell,
    split_command,
    strip_comments,
    with_env,
    with_shell,
)
from mpg_lsp.project.values import Other, Var
from mpg_lsp.records import record
from mpg_lsp.rules.base import Edit, Finding, Fix, rule
from mpg_lsp.rules.edits import toml_string

# -- what the release command migrates ---------------------------------------------------------


@record
class _Migration:
    fly: FlyConfig
    release: TomlValue
    route: Route


def _migrations(view: ProdView) -> Iterator[_Migration]:
    for fly in view.fly:
        release = fly.facts.release_command
        found = route(view, release.value, release=True) if release is not None else None
        if release is not None and found is not None:
            yield _Migration(fly, release, found)


def _wrong_var(m: _Migration) -> bool:
    """The command points some variable at a direct URL, but not one a migrated repo reads."""
    read = {r.url_var for r in m.route.pooled}
    return (
        bool(m.route.needing and m.route.direct)
        and not (read & m.route.satisfied)
        and not any(rb.var in read for rb in m.route.direct)
    )


def _through(m: _Migration) -> str:
    return f" ({' → '.join(m.route.path.steps)})" if m.route.path.steps else ""


def _edit(m: _Migration, new: str) -> Edit:
    start, end = m.release.value_range
    return Edit(m.fly.path, start, end, toml_string(new, m.release.quote))


@rule(
    "MPG301",
    "migrations-through-pooler",
    "warning",
    "The release command runs migrations through PgBouncer instead of the direct URL.",
)
def migrations_through_pooler(view: ProdView) -> Iterator[Finding]:
    direct = view.direct_var
    for m in _migrations(view):
        start, end = m.release.value_range
        if m.route.needing and not _wrong_var(m):
            variables = sorted({r.url_var for r in m.route.needing if r.url_var})
            fixes: tuple[Fix, ...] = ()
            if len(variables) == 1 and len({r.url_var for r in m.route.pooled}) == 1:
                var = variables[0]
                message = (
                    f"release_command runs migrations{_through(m)} for "
                    f"{repo_names(m.route.needing)} with {var}, "
                    "the pooled URL; migrations need a session to themselves. "
                    f"Point {var} at ${direct} for the release command."
                )
                new = with_env(m.release.value, var, direct)
                if new is not None:
                    fixes = (
                        Fix(f"Run migrations over {direct}", (_edit(m, new),), preferred=True),
                    )
            else:  # repos on different pooled variables may be different databases
                message = (
                    f"release_command runs migrations{_through(m)} for "
                    f"{repo_names(m.route.needing)} with "
                    f"{', '.join(variables)}, pooled URLs; migrations need a session to "
                    "themselves. Point each at the direct URL of its database for the release "
                    "command."
                )
            severity = "error" if view.evidence else "warning"
            yield Finding("MPG301", m.fly.path, start, end, message, severity, fixes)
        elif (
            not m.route.pooled and m.route.unknown and not m.route.satisfied and not m.route.direct
        ):
            var = next(
                (v for v in view.settings.pooled_env_vars if "*" not in v), DEFAULT_POOLED_VAR
            )
            new = with_env(m.release.value, var, direct)
            names = ", ".join(m.route.unknown)
            yield Finding(
                "MPG301",
                m.fly.path,
                start,
                end,
                f"release_command runs migrations{_through(m)} for {names}, and mpg-lsp cannot "
                "tell which URL they use. If it is the pooled one, point its variable at "
                f"${direct} for the release command: migrations need a session to themselves.",
                "warning",
                (
                    Fix(
                        f"Run migrations with {var}=${direct}",
                        (_edit(m, new),),
                        preferred=True,
                        safe=False,
                    ),
                )
                if new is not None
                else (),
            )


@rule(
    "MPG302",
    "release-command-needs-shell",
    "error",
    "The release command uses shell syntax, but Fly runs it without a shell.",
)
def release_needs_shell(view: ProdView) -> Iterator[Finding]:
    for fly in view.fly:
        release = fly.facts.release_command
        if release is None:
            continue
        argv = split_command(release.value)
        if argv is None or not needs_shell(release.value, argv):
            continue
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
                    (
                        Edit(
                            fly.path,
                            start,
                            end,
                            toml_string(with_shell(release.value.strip()), release.quote),
                        ),
                    ),
                    preferred=True,
                ),
            ),
        )


@rule(
    "MPG303",
    "release-override-wrong-var",
    "error",
    "The release command points a variable at the direct URL, but the repo reads another one.",
)
def release_override_wrong_var(view: ProdView) -> Iterator[Finding]:
    for m in _migrations(view):
        if not _wrong_var(m):
            continue
        read = sorted({r.url_var for r in m.route.needing if r.url_var})
        set_vars = sorted({rb.var for rb in m.route.direct})
        start, end = m.release.value_range
        fixes: tuple[Fix, ...] = ()
        if (
            len(read) == 1
            and len(m.route.direct) == 1
            and len({r.url_var for r in m.route.pooled}) == 1
        ):
            rb = m.route.direct[0]
            value = m.release.value
            new = value[: rb.start] + read[0] + value[rb.start + len(rb.var) :]
            fixes = (
                Fix(f"Rebind {read[0]} instead of {rb.var}", (_edit(m, new),), preferred=True),
            )
        source = m.route.direct[0].source
        yield Finding(
            "MPG303",
            m.fly.path,
            start,
            end,
            f"release_command points {' and '.join(set_vars)} at ${source}, but "
            f"{repo_names(m.route.needing)} {'reads' if len(m.route.needing) == 1 else 'read'} "
            f"{', '.join(read)}, "
            f"so migrations{_through(m)} still go through PgBouncer. "
            f"Rebind {' and '.join(read)} instead.",
            "error",
            fixes,
        )


def migrations_through_pooler_found(view: ProdView) -> bool:
    """Whether a release command runs migrations through the pooled URL (MPG301 or MPG303)."""
    return any(m.route.needing for m in _migrations(view))


# -- [env] ------------------------------------------------------------------------------------


def _is_example(path: str) -> bool:
    return bool(re.search(r"example|sample|template", os.path.basename(path), re.IGNORECASE))


@rule(
    "MPG304",
    "database-url-in-env",
    "error",
    "`[env]` holds a database URL with its password, or another secret, in plain text.",
    fixable=False,
)
def database_url_in_env(view: ProdView) -> Iterator[Finding]:
    for fly in view.fly:
        relative = os.path.relpath(fly.path, view.root)
        app = (
            f" --app {shlex.quote(fly.facts.app)}"
            if fly.facts.app and relative != "fly.toml"
            else ""
        )
        example = _is_example(fly.path)
        for entry in fly.facts.env:
            found = credential(entry.key, entry.value)
            if found is None:
                continue
            shown = masked(found.url) if found.url is not None else "****"
            command = f"fly secrets set{app} {shlex.quote(f'{entry.key}={shown}')}"
            if example:
                message = (
                    f"[env] {entry.key} holds a secret-looking value in {relative}, an example "
                    "file. Wherever the real config comes from, keep the real value out of "
                    f"[env]: `{command}`."
                )
                severity = "information"
            elif found.placeholder:
                message = (
                    f"[env] {entry.key} holds a placeholder for a secret. Keep the real value "
                    f"out of {relative}: set it with `{command}`, then delete this line."
                )
                severity = "information"
            elif found.url is not None:
                message = (
                    f"[env] {entry.key} holds a database URL with its password, in plain text in "
                    f"{relative}. Make it a secret: `{command}` (with the real password), delete "
                    "this line, and change the password: it is in the repository's history."
                )
                severity = "error"
            else:
                message = (
                    f"[env] {entry.key} looks like a secret, in plain text in {relative}. Make "
                    f"it a secret: `{command}` (with the real value), delete this line, and "
                    "replace the value: it is in the repository's history."
                )
                severity = "error"
            start, end = entry.value_range
            yield Finding("MPG304", fly.path, start, end, message, severity)


_IPV6_TEST = re.compile(
    r"System\.get_env\(\s*\"ECTO_IPV6\"\s*\)\s+in\s+"
    r"(?:~w(?:\((?P<p>[^)]*)\)|\[(?P<b>[^\]]*)\]|\{(?P<c>[^}]*)\}|<(?P<a>[^>]*)>|\|(?P<v>[^|]*)\||/(?P<s>[^/]*)/"
    r"|\"(?P<q>[^\"]*)\"|'(?P<t>[^']*)')(?![a-z])|\[(?P<list>[^\]]*)\])"
)
_ASSIGNS_IPV6 = re.compile(r"(?:^|[\s;&|])(?:export\s+)?ECTO_IPV6=", re.MULTILINE)


def _ipv6_values(view: ProdView) -> tuple[list[str], str] | None:
    """The ECTO_IPV6 values that turn IPv6 on, and the config file that says so, when a repo's
    socket_options read the variable the generator's way (``System.get_env("ECTO_IPV6") in
    ~w(true 1)``); else None."""
    for repo in view.repos.values():
        found = repo.options.get("socket_options") if repo.postgres else None
        if found is None:
            continue
        path, pair, _ = found
        value = resolve(pair.value, path, view.bindings)
        texts = [value.text]
        if isinstance(value, Other):  # `if(ecto_ipv6?, do: [:inet6], else: [])`: one step further
            for binding in view.bindings.get(path, []):
                if re.search(rf"(?<![\w.]){re.escape(binding.name)}(?![\w?!])", value.text):
                    texts.append(binding.value.text)
        elif isinstance(value, Var):
            continue
        for text in texts:
            m = _IPV6_TEST.search(text)
            if m is None:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if "list" in groups:
                return re.findall(r"\"([^\"]*)\"", groups["list"]), path
            return next(iter(groups.values()), "").split(), path
    return None


@rule(
    "MPG305",
    "ecto-ipv6-value",
    "warning",
    '`[env] ECTO_IPV6` is not "true" or "1", so the generated runtime.exs leaves IPv6 off.',
)
def ecto_ipv6_value(view: ProdView) -> Iterator[Finding]:
    entries = [(fly, e) for fly in view.fly for e in fly.facts.env if e.key == "ECTO_IPV6"]
    if not entries and not view.app.ipv6_env:
        return
    found = _ipv6_values(view)
    if found is None or not found[0]:
        return
    accepted, config = found
    if _ASSIGNS_IPV6.search(strip_comments(view.release.env_script)):
        return  # rel/env.sh sets it at release start, over whatever [env] says
    good = "true" if "true" in accepted else accepted[0]
    shown = " or ".join(f'"{v}"' for v in accepted)
    if not entries:  # the Dockerfile's `ENV ECTO_IPV6` (legacy flyctl) is what the release sees
        for path, value, start, end in view.app.ipv6_env:
            if value in accepted:
                continue
            yield Finding(
                "MPG305",
                path,
                start,
                end,
                f"ENV ECTO_IPV6 {value} leaves IPv6 off: {os.path.relpath(config, view.root)} "
                f"turns it on only for {shown}, so the repo gets no `:inet6` and cannot reach the "
                f'database over Fly\'s IPv6 private network (`:nxdomain`). Set it to "{good}".',
                "warning",
            )
    for fly, entry in entries:
        if entry.value in accepted:
            continue
        start, end = entry.value_range
        value = entry.value if len(entry.value) <= 40 else entry.value[:37] + "..."
        written = f'"{value}"' if entry.is_string else value
        yield Finding(
            "MPG305",
            fly.path,
            start,
            end,
            f"ECTO_IPV6 = {written} leaves IPv6 off: {os.path.relpath(config, view.root)} turns it "
            f"on only for {shown}, so the repo gets no `:inet6` and cannot reach the database "
            "over Fly's IPv6 private network (`:nxdomain`).",
            "warning",
            (
                Fix(
                    f'Set ECTO_IPV6 to "{good}"',
                    (Edit(fly.path, start, end, toml_string(good, entry.quote or '"')),),
                    preferred=True,
                ),
            ),
        )
