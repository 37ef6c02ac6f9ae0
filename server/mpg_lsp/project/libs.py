"""Facts from ``lib/**/*.ex``: which modules are Ecto repos (and their adapters), the app's
PubSub, and the Oban instances an ``application.ex`` starts among its children.

An Oban child is read as far as it can be without running anything: ``{Oban, repo: R, ...}``
(written out, or through a variable or a zero-arity helper of the same file), or
``{Oban, Application.fetch_env!(:app, Oban)}`` with the ``Keyword.put/put_new/merge/delete``
steps piped onto it. Whatever else it meets makes the child opaque rather than guessed.
"""

from __future__ import annotations

import os

from tree_sitter import Node

from mpg_lsp.project.elixir_config import Admits, Binding, alias_targets
from mpg_lsp.project.values import Anchor, KeywordList, Pair, Span, read_value, span_of
from mpg_lsp.records import field, record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document

_ENV_READS = {
    "Application.fetch_env!",
    "Application.get_env",
    "Application.compile_env",
    "Application.compile_env!",
}
_DEFS = {"def", "defp"}
_MAX_DEPTH = 8


@record(frozen=True)
class Step:
    """One ``Keyword`` call applied to an Oban child's options.

    ``op`` is "put" (pairs that win), "put_new" (pairs that apply when absent), "delete"
    (keys removed), "forget" (keys changed in a way that cannot be read: ``Keyword.update``)
    or "unknown" (anything else: every key may have changed).
    """

    op: str
    options: KeywordList | None = None
    keys: tuple[str, ...] = ()
    text: str = ""


@record(frozen=True)
class ObanChild:
    """``{Oban, opts}`` in an application's children."""

    path: str
    head: Span  # `Oban` in the tuple: where findings about the child itself go
    env_key: tuple[str, str] | None  # (app, key) of `Application.fetch_env!(:app, Key)`
    literal: KeywordList | None  # options written out, when they are not read from config
    steps: tuple[Step, ...]
    opaque: bool  # the options' source could not be read at all
    reads: tuple[tuple[str, str], ...] = ()  # config an opaque child reads, changed unreadably
    text: str = ""


@record(frozen=True)
class LibFacts:
    adapters: dict[str, str] = field(default_factory=dict)  # repo module -> adapter module
    pubsub: str | None = None
    repo_modules: frozenset[str] = frozenset()  # modules that `use Ecto.Repo` (any adapter)
    obans: tuple[ObanChild, ...] = ()
    # aliases and `x = ...` of the files with Oban children, for reading their values
    bindings: dict[str, tuple[Binding, ...]] = field(default_factory=dict)

    @staticmethod
    def empty() -> LibFacts:
        return LibFacts()

    def union(self, other: LibFacts) -> LibFacts:
        if (
            not other.adapters
            and other.pubsub is None
            and not other.repo_modules
            and not other.obans
        ):
            return self
        return LibFacts(
            {**self.adapters, **other.adapters},
            self.pubsub or other.pubsub,
            self.repo_modules | other.repo_modules,
            self.obans + other.obans,
            {**self.bindings, **other.bindings},
        )


def _use_of(use: Node) -> tuple[str, str] | None:
    """`use Ecto.Repo, otp_app: :x, adapter: Mod` -> ("Ecto.Repo", "Mod");
    `use AshPostgres.Repo` -> (it, itself); not a repo -> None."""
    args = ex.arguments(use)
    if not args:
        return None
    behaviour = ex.text(args[0])
    if behaviour == "AshPostgres.Repo":
        return behaviour, behaviour
    if behaviour != "Ecto.Repo":
        return None
    for pair in ex.pairs_named(use, "adapter"):
        value = pair.child_by_field_name("value")
        if value is not None:
            return behaviour, ex.text(value)
    return behaviour, ""


def read_lib(doc: Document) -> LibFacts:
    text = doc.text
    application = os.path.basename(doc.path) == "application.ex" and b"Oban" in text
    if b"Repo" not in text and b"Phoenix.PubSub" not in text and not application:
        return LibFacts()
    root = doc.tree.root_node
    adapters: dict[str, str] = {}
    repos: set[str] = set()
    for module in ex.walk_calls(root, {"defmodule"}):
        args = ex.arguments(module)
        block = ex.do_block(module)
        if not args or args[0].type != ex.ALIAS or block is None:
            continue
        for use in ex.block_body(block):
            if use.type == ex.CALL and ex.call_name(use) == "use":
                found = _use_of(use)
                if found is not None:
                    repos.add(ex.text(args[0]))
                    if found[1]:
                        adapters[ex.text(args[0])] = found[1]
    pubsub = None
    if b"Phoenix.PubSub" in text:
        for node in ex.walk(root, {ex.TUPLE}):
            items = node.named_children
            if (
                len(items) == 2
                and items[0].type == ex.ALIAS
                and ex.text(items[0]) == "Phoenix.PubSub"
            ):
                for _, key, value in (
                    ex.keyword_pairs(items[1]) if items[1].type == ex.KEYWORDS else []
                ):
                    if ex.keyword_name(key) == "name" and value.type == ex.ALIAS:
                        pubsub = ex.text(value)
    obans: tuple[ObanChild, ...] = ()
    bindings: dict[str, tuple[Binding, ...]] = {}
    if application:
        reader = _ChildReader(doc)
        obans = reader.children()
        if obans:
            bindings[doc.path] = reader.bindings()
    return LibFacts(adapters, pubsub, frozenset(repos), obans, bindings)


class _ChildReader:
    """Reads the `{Oban, ...}` children of one application.ex. Spans are file offsets."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.root = doc.tree.root_node
        self.anchor = Anchor(0)
        self._defs: dict[str, Node] | None = None

    def span(self, node: Node) -> Span:
        return span_of(node, self.anchor, 0)

    def children(self) -> tuple[ObanChild, ...]:
        found = []
        for node in ex.walk(self.root, {ex.TUPLE}):
            items = [c for c in node.named_children if c.type != ex.COMMENT]
            if len(items) != 2 or items[0].type != ex.ALIAS or ex.text(items[0]) != "Oban":
                continue
            if node.has_error:
                continue
            env_key, literal, steps, opaque = self.options(items[1], 0)
            reads: tuple[tuple[str, str], ...] = ()
            if opaque:  # `AshOban.config(domains, Application.fetch_env!(:app, Oban))`
                calls = ex.walk_calls(items[1], _ENV_READS)
                reads = tuple(k for c in calls if (k := self.env_key(ex.arguments(c))) is not None)
            found.append(
                ObanChild(
                    self.doc.path,
                    self.span(items[0]),
                    env_key,
                    literal,
                    steps,
                    opaque,
                    reads,
                    ex.text(items[1]),
                )
            )
        return tuple(found)

    def bindings(self) -> tuple[Binding, ...]:
        """Aliases and `name = value` bindings of the file, in file order."""
        out: list[Binding] = []
        for node in ex.walk(self.root, {ex.CALL, ex.BINARY}):
            if node.type == ex.CALL and ex.call_name(node) == "alias":
                for short, target in alias_targets(node, self.anchor, 0):
                    out.append(Binding(short, target, self.span(node), Admits.YES))
            elif node.type == ex.BINARY:
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                op = node.child_by_field_name("operator")
                if (
                    left is not None
                    and right is not None
                    and op is not None
                    and ex.text(op) == "="
                    and left.type == ex.IDENTIFIER
                    and not right.has_error
                ):
                    value = read_value(right, self.anchor, 0)
                    out.append(Binding(ex.text(left), value, self.span(node), Admits.YES))
        return tuple(out)

    # -- reading an options expression ---------------------------------------------------

    def options(
        self, node: Node, depth: int
    ) -> tuple[tuple[str, str] | None, KeywordList | None, tuple[Step, ...], bool]:
        """(env key, literal options, steps, opaque) of the expression ``node``."""
        unknown: tuple[None, None, tuple[Step, ...], bool] = (None, None, (), True)
        if depth > _MAX_DEPTH:
            return unknown
        kind = node.type
        if kind in (ex.KEYWORDS, ex.LIST):
            value = read_value(node, self.anchor, 0)
            return (None, value, (), False) if isinstance(value, KeywordList) else unknown
        if kind == ex.IDENTIFIER:
            bound = self.bound_to(node)
            return self.options(bound, depth + 1) if bound is not None else unknown
        if kind == ex.BINARY:
            op = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if op is None or left is None or right is None or ex.text(op) != "|>":
                return unknown
            if right.type == ex.CALL and ex.call_name(right) in _ENV_READS:
                # `:app |> Application.fetch_env!(Oban)`
                found = self.env_key([left, *ex.arguments(right)])
                return (found, None, (), False) if found else unknown
            env_key, literal, steps, opaque = self.options(left, depth + 1)
            step = self.step(right, ex.arguments(right) if right.type == ex.CALL else [])
            return env_key, literal, (*steps, step), opaque
        if kind != ex.CALL:
            return unknown
        name = ex.call_name(node)
        args = ex.arguments(node)
        if name in _ENV_READS:
            found = self.env_key(args)
            return (found, None, (), False) if found else unknown
        if name.startswith("Keyword.") and args:
            env_key, literal, steps, opaque = self.options(args[0], depth + 1)
            return env_key, literal, (*steps, self.step(node, args[1:])), opaque
        if not args and "." not in name and name:
            body = self.defs().get(name)
            return self.options(body, depth + 1) if body is not None else unknown
        return unknown

    def env_key(self, args: list[Node]) -> tuple[str, str] | None:
        """(app, key) of `Application.fetch_env!(:app, Key)`'s arguments."""
        if len(args) < 2:
            return None
        app = ex.atom_name(args[0])
        key = ex.text(args[1]) if args[1].type == ex.ALIAS else None
        if key is None and (atom := ex.atom_name(args[1])) is not None:
            key = ":" + atom
        return (app, key) if app and key else None

    def step(self, call: Node, args: list[Node]) -> Step:
        """A `Keyword.*` call whose options argument is already taken off ``args``."""
        name = ex.call_name(call) if call.type == ex.CALL else ""
        text = ex.text(call)
        keys = [ex.atom_name(a) for a in args[:1]]
        key = keys[0] if keys else None
        if name in ("Keyword.put", "Keyword.put_new") and len(args) == 2 and key is not None:
            value = read_value(args[1], self.anchor, 0)
            key_span = self.span(args[0])
            span = Span(self.anchor, args[0].start_byte, args[1].end_byte)
            pair = Pair(key, key_span, value, span)
            options = KeywordList(span, text, (pair,))
            return Step("put" if name == "Keyword.put" else "put_new", options, text=text)
        if name == "Keyword.merge" and len(args) == 1:
            value = read_value(args[0], self.anchor, 0)
            if isinstance(value, KeywordList):
                return Step("put", value, text=text)
        if name == "Keyword.delete" and len(args) == 1 and key is not None:
            return Step("delete", keys=(key,), text=text)
        if name == "Keyword.drop" and len(args) == 1 and args[0].type == ex.LIST:
            names = [ex.atom_name(c) for c in args[0].named_children]
            if all(names):
                return Step("delete", keys=tuple(n for n in names if n), text=text)
        if (
            name in ("Keyword.update", "Keyword.update!", "Keyword.put_new_lazy")
            and key is not None
        ):
            return Step("forget", keys=(key,), text=text)
        return Step("unknown", text=text)

    def bound_to(self, name: Node) -> Node | None:
        """The expression last bound to the variable ``name`` before it, in its function;
        else the body of a zero-arity function of that name (`oban_config` without parens)."""
        scope = name.parent
        while scope is not None and not (scope.type == ex.CALL and ex.call_name(scope) in _DEFS):
            scope = scope.parent
        target = ex.text(name)
        bound: Node | None = None
        for node in ex.walk(scope if scope is not None else self.root, {ex.BINARY}):
            if node.start_byte >= name.start_byte:
                break
            if node.end_byte > name.start_byte:
                continue  # the binding being made, or one around the use
            left = node.child_by_field_name("left")
            op = node.child_by_field_name("operator")
            if (
                left is not None
                and op is not None
                and ex.text(op) == "="
                and left.type == ex.IDENTIFIER
                and ex.text(left) == target
            ):
                bound = node.child_by_field_name("right")
        if bound is not None:
            return bound
        return self.defs().get(target)

    def defs(self) -> dict[str, Node]:
        """The return expression of each zero-arity `def`/`defp` of the file (the last
        statement of its body)."""
        if self._defs is None:
            self._defs = {}
            for node in ex.walk_calls(self.root, _DEFS):
                args = ex.arguments(node)
                if not args:
                    continue
                head = args[0]
                if (
                    head.type == ex.CALL
                    and not ex.arguments(head)
                    and "." not in ex.call_name(head)
                ):
                    fname = ex.call_name(head)
                elif head.type == ex.IDENTIFIER:
                    fname = ex.text(head)
                else:
                    continue
                body: list[Node] = []
                block = ex.do_block(node)
                if block is not None:
                    body = ex.block_body(block)
                elif len(args) > 1 and args[-1].type == ex.KEYWORDS:
                    for _, key, value in ex.keyword_pairs(args[-1]):
                        if ex.keyword_name(key) == "do":
                            body = [value]
                if body:
                    self._defs[fname] = body[-1]
        return self._defs
