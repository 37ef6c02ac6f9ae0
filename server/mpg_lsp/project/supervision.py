"""What the app starts, read from its code without running it: LISTEN clients, migrations run
at boot, what forms an Erlang cluster, and the Commanded event stores it defines.

Children lists are read wherever they are written (``application.ex`` or any supervisor
under ``lib/``, and ``Supervisor.start_link`` calls): a child is a ``{Module, options}`` tuple
or a bare module. LISTEN clients are recognised by module: ``EctoWatch`` (its ``repo:``),
``Postgrex.Notifications`` and ``Postgrex.SimpleConnection`` given ``R.config()``, and a
libcluster topology whose strategy is ``LibclusterPostgres.Strategy`` (in config files too).
What cannot be read (a repo passed in a variable, options built by a helper) is left out.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from mpg_lsp.project.elixir_config import expand_alias, file_aliases
from mpg_lsp.records import record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document

# A file is parsed for these facts only when its bytes hold one of these words.
TRIGGER_WORDS = (
    b"EctoWatch",
    b"Postgrex.Notifications",
    b"SimpleConnection",
    b"LibclusterPostgres",
    b"use EventStore",
    b"Ecto.Migrator",
    b"DNSCluster",
    b"Cluster.Supervisor",
)


def triggered(data: bytes) -> bool:
    return any(map(data.__contains__, TRIGGER_WORDS))


LISTEN_MODULES = {
    "EctoWatch": "EctoWatch",
    "Postgrex.Notifications": "Postgrex.Notifications",
    "Postgrex.SimpleConnection": "Postgrex.SimpleConnection",
}
LIBCLUSTER_STRATEGY = "LibclusterPostgres.Strategy"
CLUSTER_CHILDREN = {"DNSCluster", "Cluster.Supervisor"}
_LISTENS = re.compile(rb"(?i)\blisten\b")


@record(frozen=True)
class ListenClient:
    """A connection that LISTENs, and the repo or host whose settings it connects with."""

    path: str
    kind: str  # "EctoWatch", "Postgrex.Notifications", "Postgrex.SimpleConnection", "libcluster"
    start: int  # where a finding about it goes: the client's module name
    end: int
    repo: str | None  # `R` of `R.config()` or `repo: R`
    repo_range: tuple[int, int] | None  # what a fix replaces: `R.config()`, or `R` of `repo: R`
    repo_is_config: bool  # the range holds `R.config()` (else the bare module `R`)
    hostname: str | None = None  # a literal `hostname:` it is given instead


@record(frozen=True)
class MigratorChild:
    """``{Ecto.Migrator, repos: ..., skip: ...}`` among children: migrations at every boot."""

    path: str
    start: int
    end: int
    repos: tuple[str, ...]  # repos listed literally
    ecto_repos: bool  # `Application.fetch_env!(:app, :ecto_repos)` (or unreadable: all repos)
    skip: str  # "absent", "true", "false" (in a release) or "unknown"
    skip_text: str = ""


@record(frozen=True)
class EventStoreModule:
    path: str
    name: str
    otp_app: str | None
    start: int
    end: int


@record(frozen=True)
class Supervision:
    listen: tuple[ListenClient, ...] = ()
    migrators: tuple[MigratorChild, ...] = ()
    cluster: tuple[str, ...] = ()  # cluster-forming children found (DNSCluster, ...)
    eventstores: tuple[EventStoreModule, ...] = ()


def _module(node: Node, aliases: dict[str, str]) -> str:
    return expand_alias(ex.text(node), aliases)


def _config_call(node: Node, aliases: dict[str, str]) -> tuple[str, Node] | None:
    """``R.config()`` (or ``R.config``) -> (R, the call node)."""
    if node.type != ex.CALL or ex.arguments(node):
        return None
    name = ex.call_name(node)
    head, _, fn = name.rpartition(".")
    if fn != "config" or not head or not head[:1].isupper():
        return None
    return expand_alias(head, aliases), node


_CONNECTION_KEYS = ("hostname", "url", "port", "socket", "database")


def _find_config(node: Node, aliases: dict[str, str]) -> tuple[str, Node] | None:
    """The first ``R.config()`` inside ``node`` (itself included), unless what surrounds it
    changes where it connects (``Keyword.merge(R.config(), hostname: ...)``): mpg-lsp does not
    read that, so it says nothing rather than guess."""
    for call in ex.walk(node, {ex.CALL}):
        found = _config_call(call, aliases)
        if found is None:
            continue
        current = call.parent
        while current is not None and current != node.parent:
            around = (current.text or b"").replace(call.text or b"", b"")
            if any(key.encode() in around for key in _CONNECTION_KEYS):
                return None
            current = current.parent
        return found
    return None


def _keyword(node: Node, key: str) -> Node | None:
    """The value of ``key:`` when ``node`` is (or holds as its last item) a keyword list."""
    lists = [node] if node.type == ex.KEYWORDS else []
    if node.type == ex.LIST:
        lists = [c for c in node.named_children if c.type == ex.KEYWORDS]
    for keywords in lists:
        for _, name, value in ex.keyword_pairs(keywords):
            if ex.keyword_name(name) == key:
                return value
    return None


def _skip(value: Node | None, defs: dict[str, Node]) -> tuple[str, str]:
    """Whether a Migrator's ``skip:`` is true in a release: literal booleans, and the
    ``System.get_env("RELEASE_NAME")`` tests phx.new writes (a release sets RELEASE_NAME)."""
    if value is None:
        return "absent", ""
    text = ex.text(value)
    if value.type == ex.CALL and not ex.arguments(value) and ex.call_name(value) in defs:
        value = defs[ex.call_name(value)]
    body = " ".join(ex.text(value).split())
    if value.type == ex.BOOLEAN:
        return body, text
    release_name = r'System\.get_env\(\s*"RELEASE_NAME"\s*\)'
    if re.fullmatch(rf"{release_name}\s*==\s*nil|is_nil\({release_name}\)", body):
        return "false", text
    if re.fullmatch(rf"{release_name}\s*!=\s*nil|!\s*is_nil\({release_name}\)", body):
        return "true", text
    return "unknown", text


def _defs(root: Node) -> dict[str, Node]:
    """The last expression of each zero-arity ``def``/``defp`` of the file."""
    out: dict[str, Node] = {}
    for node in ex.walk_calls(root, {"def", "defp"}):
        args = ex.arguments(node)
        if not args:
            continue
        head = args[0]
        if head.type == ex.CALL and not ex.arguments(head):
            name = ex.call_name(head)
        elif head.type == ex.IDENTIFIER:
            name = ex.text(head)
        else:
            continue
        block = ex.do_block(node)
        body = ex.block_body(block) if block is not None else []
        if not body and len(args) > 1:
            body = [v for _, k, v in ex.keyword_pairs(args[-1]) if ex.keyword_name(k) == "do"]
        if body:
            out[name] = body[-1]
    return out


def _listen_child(
    path: str, kind: str, head: Node, options: Node | None, aliases: dict[str, str]
) -> ListenClient | None:
    if options is None:
        return None
    if kind == "EctoWatch":
        repo = _keyword(options, "repo")
        if repo is None or repo.type != ex.ALIAS:
            return None
        return ListenClient(
            path,
            kind,
            head.start_byte,
            head.end_byte,
            _module(repo, aliases),
            (repo.start_byte, repo.end_byte),
            False,
        )
    found = _find_config(options, aliases)
    if found is None:
        return None
    name, call = found
    return ListenClient(
        path, kind, head.start_byte, head.end_byte, name, (call.start_byte, call.end_byte), True
    )


def _libcluster(path: str, keywords: Node, aliases: dict[str, str]) -> ListenClient | None:
    """A topology ``[strategy: LibclusterPostgres.Strategy, config: ...]``."""
    strategy = _keyword(keywords, "strategy")
    if strategy is None or _module(strategy, aliases) != LIBCLUSTER_STRATEGY:
        return None
    config = _keyword(keywords, "config")
    if config is None:
        return None
    found = _config_call(config, aliases)
    if found is not None:
        name, call = found
        return ListenClient(
            path,
            "libcluster",
            strategy.start_byte,
            strategy.end_byte,
            name,
            (call.start_byte, call.end_byte),
            True,
        )
    host = _keyword(config, "hostname")
    if host is not None and host.type == ex.STRING:
        value = ex.string_value(host)
        if value:
            return ListenClient(
                path,
                "libcluster",
                strategy.start_byte,
                strategy.end_byte,
                None,
                None,
                False,
                value,
            )
    return None


def read_supervision(doc: Document) -> Supervision:
    if not triggered(doc.text):
        return Supervision()
    root = doc.tree.root_node
    aliases = file_aliases(root)
    listen: list[ListenClient] = []
    migrators: list[MigratorChild] = []
    cluster: list[str] = []
    defs: dict[str, Node] | None = None
    for node in ex.walk(root, {ex.TUPLE, ex.ALIAS, ex.CALL, ex.KEYWORDS}):
        if node.has_error:
            continue
        if node.type == ex.ALIAS:
            name = _module(node, aliases)
            if name in CLUSTER_CHILDREN and name not in cluster:
                cluster.append(name)
            continue
        if node.type == ex.KEYWORDS:
            client = _libcluster(doc.path, node, aliases)
            if client is not None:
                listen.append(client)
            continue
        if node.type == ex.CALL:
            head, _, fn = ex.call_name(node).rpartition(".")
            kind = LISTEN_MODULES.get(expand_alias(head, aliases)) if head else None
            if kind == "Postgrex.SimpleConnection" and not _LISTENS.search(doc.text):
                continue  # a SimpleConnection is any one connection: only LISTEN matters here
            if kind is not None and fn == "start_link" and kind != "EctoWatch":
                target = node.child_by_field_name("target")
                anchor = target if target is not None else node
                args = ex.arguments(node)
                for arg in args:
                    client = _listen_child(doc.path, kind, anchor, arg, aliases)
                    if client is not None:
                        listen.append(client)
                        break
            continue
        items = [c for c in node.named_children if c.type != ex.COMMENT]
        if len(items) != 2 or items[0].type != ex.ALIAS:
            continue
        name = _module(items[0], aliases)
        if name == "Postgrex.SimpleConnection" and not _LISTENS.search(doc.text):
            continue
        if name in LISTEN_MODULES:
            client = _listen_child(doc.path, LISTEN_MODULES[name], items[0], items[1], aliases)
            if client is not None:
                listen.append(client)
        elif name == "Ecto.Migrator":
            if defs is None:
                defs = _defs(root)
            repos_node = _keyword(items[1], "repos")
            repos: tuple[str, ...] = ()
            ecto_repos = True
            if repos_node is not None and repos_node.type == ex.LIST:
                names = [c for c in repos_node.named_children if c.type != ex.COMMENT]
                if all(c.type == ex.ALIAS for c in names):
                    repos, ecto_repos = tuple(_module(c, aliases) for c in names), False
            skip, skip_text = _skip(_keyword(items[1], "skip"), defs)
            migrators.append(
                MigratorChild(
                    doc.path,
                    items[0].start_byte,
                    items[0].end_byte,
                    repos,
                    ecto_repos,
                    skip,
                    skip_text,
                )
            )
    eventstores = []
    if b"use EventStore" in doc.text:
        for module in ex.walk_calls(root, {"defmodule"}):
            args = ex.arguments(module)
            block = ex.do_block(module)
            if not args or args[0].type != ex.ALIAS or block is None:
                continue
            for use in ex.block_body(block):
                if use.type != ex.CALL or ex.call_name(use) != "use":
                    continue
                use_args = ex.arguments(use)
                if not use_args or ex.text(use_args[0]) != "EventStore":
                    continue
                app = next(
                    (
                        ex.atom_name(v)
                        for p in ex.pairs_named(use, "otp_app")
                        if (v := p.child_by_field_name("value")) is not None
                    ),
                    None,
                )
                eventstores.append(
                    EventStoreModule(
                        doc.path, ex.text(args[0]), app, args[0].start_byte, args[0].end_byte
                    )
                )
    return Supervision(tuple(listen), tuple(migrators), tuple(cluster), tuple(eventstores))
