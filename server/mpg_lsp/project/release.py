"""How a release runs its migrations, beyond ``fly.toml``: the scripts shipped in
``rel/overlays/bin/`` (``bin/migrate``), ``rel/env.sh(.eex)`` which every release command
sources, and the ``Release`` module functions that hand repos to ``Ecto.Migrator``.

How flyctl splits a release command, and what a shell script rebinds, is in
``project/shell.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from tree_sitter import Node

from mpg_lsp.project.shell import Rebind, rebinds, strip_comments
from mpg_lsp.project.workspace import Workspace
from mpg_lsp.records import record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document

_EVAL = re.compile(r"\beval\s+[\"']?\s*((?:[A-Z][A-Za-z0-9_]*\.)+)([a-z_][A-Za-z0-9_]*[!?]?)")
_BIN = re.compile(r"(?:^|(?<=[\s;&|('\"=]))(?:[^\s;&|('\"]*/)?bin/([A-Za-z0-9_.-]+)")
_MIX_MIGRATE = re.compile(r"\bmix\s+ecto\.migrate\b([^;&|\n]*)")
_MIX_REPO = re.compile(r"(?:-r|--repo)[\s=]+([A-Z][A-Za-z0-9_.]*)")


# -- the Release module -----------------------------------------------------------------------


@record(frozen=True)
class Migrator:
    """A function that (directly or through local helpers) hands repos to ``Ecto.Migrator``."""

    module: str
    function: str
    repos: tuple[str, ...]  # repo modules it names
    ecto_repos: bool  # it reads the app's `:ecto_repos`


def _def_parts(node: Node) -> tuple[str, list[Node]] | None:
    """``def name(args) do body end`` / ``def name, do: body`` -> (name, [body])."""
    args = ex.arguments(node)
    if not args:
        return None
    head = args[0]
    if head.type == ex.BINARY:  # `def f(x) when guard`
        left = head.child_by_field_name("left")
        if left is None:
            return None
        head = left
    if head.type == ex.CALL:
        name = ex.call_name(head)
    elif head.type == ex.IDENTIFIER:
        name = ex.text(head)
    else:
        return None
    block = ex.do_block(node)
    if block is not None:
        return name, ex.block_body(block)
    bodies = [p.child_by_field_name("value") for p in ex.pairs_named(node, "do")]
    return name, [b for b in bodies if b is not None]


def _module_name(module: Node) -> str | None:
    parts: list[str] = []
    current: Node | None = module
    while current is not None:
        if current.type == ex.CALL and ex.call_name(current) == "defmodule":
            args = ex.arguments(current)
            if not args or args[0].type != ex.ALIAS:
                return None
            parts.append(ex.text(args[0]))
        current = current.parent
    return ".".join(reversed(parts)) if parts else None


def _is_migrator_call(name: str) -> bool:
    head, _, fn = name.rpartition(".")
    return fn in ("with_repo", "run") and head in ("Ecto.Migrator", "Migrator")


def read_migrators(doc: Document) -> tuple[Migrator, ...]:
    if b"Migrator" not in doc.text:
        return ()
    out: list[Migrator] = []
    for module in ex.walk_calls(doc.tree.root_node, {"defmodule"}):
        name = _module_name(module)
        block = ex.do_block(module)
        if name is None or block is None:
            continue
        defs: dict[str, list[Node]] = {}
        for statement in ex.block_body(block):
            if statement.type == ex.CALL and ex.call_name(statement) in ("def", "defp"):
                parts = _def_parts(statement)
                if parts is not None:
                    defs.setdefault(parts[0], []).extend(parts[1])
        for function in defs:
            found = _migrated_by(function, defs)
            if found is not None:
                out.append(Migrator(name, function, *found))
    return tuple(out)


def _migrated_by(function: str, defs: dict[str, list[Node]]) -> tuple[tuple[str, ...], bool] | None:
    """What ``function`` hands to Ecto.Migrator, following local calls; None if nothing."""
    seen = {function}
    queue = [function]
    nodes: list[Node] = []
    while queue and len(seen) < 32:
        for body in defs[queue.pop()]:
            nodes.append(body)
            for node in ex.walk(body, {ex.CALL, ex.IDENTIFIER}):
                callee = ex.call_name(node) if node.type == ex.CALL else ex.text(node)
                if callee in defs and callee not in seen:
                    seen.add(callee)
                    queue.append(callee)
    touches, dynamic, ecto_repos = False, False, False
    named: list[str] = []
    listed: list[str] = []
    for body in nodes:
        for node in ex.walk(body, {ex.CALL, ex.ATOM, ex.LIST}):
            if node.type == ex.ATOM:
                ecto_repos = ecto_repos or ex.text(node) == ":ecto_repos"
            elif node.type == ex.LIST:
                listed.extend(ex.text(c) for c in node.named_children if c.type == ex.ALIAS)
            elif _is_migrator_call(ex.call_name(node)):
                touches = True
                args = ex.arguments(node)
                if args and args[0].type == ex.ALIAS:
                    named.append(ex.text(args[0]))
                elif args and args[0].type == ex.IDENTIFIER:
                    dynamic = True
    if not touches:
        return None
    if dynamic and not ecto_repos:
        named.extend(listed)  # `for repo <- [A.Repo, A.DirectRepo]` or a helper returning a list
    return tuple(dict.fromkeys(named)), ecto_repos and dynamic


# -- what a release command runs ---------------------------------------------------------------


@record(frozen=True)
class ReleaseFacts:
    scripts: tuple[tuple[str, str], ...] = ()  # rel/overlays/bin/<name> and its text
    env_script: str = ""  # rel/env.sh.eex (or rel/env.sh)
    migrators: tuple[Migrator, ...] = ()

    def script(self, name: str) -> str | None:
        return next((text for n, text in self.scripts if n == name), None)

    def migrator(self, module: str, function: str) -> Migrator | None:
        return next(
            (m for m in self.migrators if (m.module, m.function) == (module, function)), None
        )


@record(frozen=True)
class MigrationPath:
    """What a migrating release command runs, as far as the project's files tell."""

    repos: tuple[str, ...]  # repos named explicitly
    ecto_repos: bool  # the app's `ecto_repos` (also the assumption when nothing is known)
    rebinds: tuple[Rebind, ...]  # made by the scripts it runs (offsets are not in the command)
    steps: tuple[str, ...]  # for messages: "rel/overlays/bin/migrate", "App.Release.migrate"


def migration_path(command: str, release: ReleaseFacts) -> MigrationPath:
    text = command
    found: list[Rebind] = []
    steps: list[str] = []
    through_release = False
    for m in _BIN.finditer(command):
        body = release.script(m.group(1))
        if body is not None:
            body = strip_comments(body)
            found.extend(rebinds(body))
            steps.append(f"rel/overlays/bin/{m.group(1)}")
            text += "\n" + body
            through_release = True
            break
    evaluated = _EVAL.search(text)
    if evaluated is not None:
        through_release = True
        module, function = evaluated.group(1)[:-1], evaluated.group(2)
        steps.append(f"{module}.{function}")
        migrator = release.migrator(module, function)
        if migrator is not None and (migrator.repos or migrator.ecto_repos):
            repos, ecto_repos = migrator.repos, migrator.ecto_repos
        else:
            repos, ecto_repos = (), True
    elif (mix := _MIX_MIGRATE.search(text)) is not None:
        repos = tuple(_MIX_REPO.findall(mix.group(1)))
        ecto_repos = not repos
    else:
        repos, ecto_repos = (), True
    if through_release and release.env_script:
        found.extend(rebinds(strip_comments(release.env_script)))
    return MigrationPath(repos, ecto_repos, tuple(found), tuple(steps))


def read_release(ws: Workspace, root: str, lib_docs: Iterable[Document]) -> ReleaseFacts:
    """The release scripts on disk and the migrator functions of ``lib/``."""
    rel = os.path.join(root, "rel")
    scripts = []
    bin_dir = os.path.join(rel, "overlays", "bin")
    for name in ws.listdir(bin_dir):
        if name.endswith(".bat"):
            continue
        data = ws.raw(os.path.join(bin_dir, name))
        if data is not None:
            scripts.append((name, data.decode("utf-8", errors="replace")))
    env_script = ""
    for name in ("env.sh.eex", "env.sh"):
        data = ws.raw(os.path.join(rel, name))
        if data is not None:
            env_script = data.decode("utf-8", errors="replace")
            break
    migrators: list[Migrator] = []
    for doc in lib_docs:
        migrators.extend(ws.derived(doc, "migrators", read_migrators))
    return ReleaseFacts(tuple(scripts), env_script, tuple(migrators))
