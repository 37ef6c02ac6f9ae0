"""Elixir expressions read statically into a small value model.

Nothing is evaluated: a value is what the source says (an atom, an alias, a keyword list, a
read of an environment variable...) or ``Other`` with its source text when it cannot be known.

Spans are relative to the top-level form they sit in (its ``Anchor``), so when an edit shifts a
form, moving its anchor moves every fact inside it; the facts themselves never change, and two
extractions of the same text compare equal.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from mpg_lsp.records import field, record
from mpg_lsp.syntax import elixir as ex


class Anchor:
    """The current start byte of one top-level form."""

    __slots__ = ("start",)

    def __init__(self, start: int) -> None:
        self.start = start

    def __repr__(self) -> str:
        return f"Anchor({self.start})"


@record(frozen=True)
class Span:
    anchor: Anchor = field(compare=False, repr=False)
    rel_start: int
    rel_end: int

    @property
    def start(self) -> int:
        return self.anchor.start + self.rel_start

    @property
    def end(self) -> int:
        return self.anchor.start + self.rel_end


def span_of(node: Node, anchor: Anchor, base: int) -> Span:
    return Span(anchor, node.start_byte - base, node.end_byte - base)


@record(frozen=True)
class Value:
    span: Span
    text: str


@record(frozen=True)
class Atom(Value):
    name: str


@record(frozen=True)
class Alias(Value):
    name: str


@record(frozen=True)
class Str(Value):
    value: str | None  # None when interpolated


@record(frozen=True)
class Int(Value):
    value: int


@record(frozen=True)
class Bool(Value):
    value: bool


@record(frozen=True)
class Var(Value):
    name: str


@record(frozen=True)
class EnvRead(Value):
    """``System.get_env("X")``, ``fetch_env!``, ``fetch_env``, ``{:system, "X"}``."""

    var: str
    fallback: Value | None = None


@record(frozen=True)
class Pair:
    key: str
    key_span: Span
    value: Value
    span: Span


@record(frozen=True)
class KeywordList(Value):
    pairs: tuple[Pair, ...]
    # Where new pairs go: the span of the list's inside, whether it is `[...]`, tuple-style.
    tuple_style: bool = False

    def get(self, key: str) -> Pair | None:
        for pair in reversed(self.pairs):
            if pair.key == key:
                return pair
        return None


@record(frozen=True)
class ListV(Value):
    items: tuple[Value, ...]


@record(frozen=True)
class TupleV(Value):
    items: tuple[Value, ...]


@record(frozen=True)
class Other(Value):
    """Anything else: a call, an operator, a conditional. Only its text is known."""

    kind: str = ""


_ENV_READERS = {"System.get_env", "System.fetch_env!", "System.fetch_env"}
_URL_VAR = re.compile(
    r"[A-Z][A-Z0-9_]*_(?:URL|URI)(?:_[A-Z0-9_]+)?|[A-Z][A-Z0-9_]*DATABASE[A-Z0-9_]*"
)


def read_value(node: Node, anchor: Anchor, base: int, depth: int = 0) -> Value:
    """Read an expression node. ``base`` is the byte offset the anchor stands for."""
    span = span_of(node, anchor, base)
    kind = node.type
    if depth > 64:  # deeply nested data: stop reading, keep the text
        return Other(span, ex.text(node), kind)
    if kind in (ex.ATOM, ex.QUOTED_ATOM):
        name = ex.atom_name(node)
        if name is not None:
            return Atom(span, ex.text(node), name)
    elif kind == ex.ALIAS:
        return Alias(span, ex.text(node), ex.text(node))
    elif kind == ex.STRING:
        return Str(span, ex.text(node), ex.string_value(node))
    elif kind == ex.INTEGER:
        raw = ex.text(node).replace("_", "")
        try:
            return Int(
                span, ex.text(node), int(raw, 0) if raw[:2] in ("0x", "0o", "0b") else int(raw)
            )
        except ValueError:
            pass
    elif kind == ex.BOOLEAN:
        return Bool(span, ex.text(node), ex.text(node) == "true")
    elif kind == ex.IDENTIFIER:
        return Var(span, ex.text(node), ex.text(node))
    elif kind == ex.KEYWORDS:
        return KeywordList(span, ex.text(node), _pairs(node, anchor, base, depth))
    elif kind == ex.LIST:
        return _read_list(node, span, anchor, base, depth)
    elif kind == ex.TUPLE:
        items = tuple(read_value(c, anchor, base, depth + 1) for c in _items(node))
        if (
            len(items) == 2
            and isinstance(items[0], Atom)
            and items[0].name == "system"
            and isinstance(items[1], Str)
            and items[1].value
        ):
            return EnvRead(span, ex.text(node), items[1].value)
        return TupleV(span, ex.text(node), items)
    elif kind == ex.CALL:
        name = ex.call_name(node)
        if name in _ENV_READERS:
            args = ex.arguments(node)
            if args and args[0].type == ex.STRING:
                var = ex.string_value(args[0])
                if var:
                    fallback = (
                        read_value(args[1], anchor, base, depth + 1) if len(args) > 1 else None
                    )
                    return EnvRead(span, ex.text(node), var, fallback)
        elif name != "config":
            # Projects wrap System.get_env in helpers: `env!("DATABASE_URL", :string!)`,
            # `required_env.("DATABASE_URL")`, `get_var_from_path_or_env(dir, "DATABASE_URL")`.
            # A database-URL-shaped variable name among the arguments is what the helper reads.
            for arg in ex.arguments(node)[:3]:
                var = ex.string_value(arg) if arg.type == ex.STRING else None
                if var and _URL_VAR.fullmatch(var):
                    return EnvRead(span, ex.text(node), var, None)
    elif kind == ex.BINARY:
        op = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if op is not None and ex.text(op) == "||" and left is not None and right is not None:
            first = read_value(left, anchor, base, depth + 1)
            if isinstance(first, EnvRead) and first.fallback is None:
                fallback = read_value(right, anchor, base, depth + 1)
                if isinstance(fallback, Other) and fallback.text.startswith("raise"):
                    fallback = None
                return EnvRead(span, ex.text(node), first.var, fallback)
    return Other(span, ex.text(node), kind)


def _items(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type != ex.COMMENT]


def _sole_keywords(items: list[Node]) -> Node | None:
    """The keywords node of a list written ``[a: 1, b: 2]``, else None."""
    return items[0] if len(items) == 1 and items[0].type == ex.KEYWORDS else None


def _pairs(node: Node, anchor: Anchor, base: int, depth: int) -> tuple[Pair, ...]:
    return tuple(
        Pair(
            ex.keyword_name(key),
            span_of(key, anchor, base),
            read_value(value, anchor, base, depth + 1),
            span_of(pair, anchor, base),
        )
        for pair, key, value in ex.keyword_pairs(node)
    )


def keyword_keys(node: Node) -> list[str] | None:
    """The keys ``read_value`` would find in ``node`` read as a keyword list, without reading
    any value; None when it would not read a plain keyword list (a tuple-style list, a call...)."""
    if node.type == ex.LIST:
        items = _items(node)
        if not items:
            return []
        keywords = _sole_keywords(items)
        if keywords is None:
            return None
        node = keywords
    if node.type != ex.KEYWORDS:
        return None
    return [ex.keyword_name(key) for _, key, _ in ex.keyword_pairs(node)]


def _read_list(node: Node, span: Span, anchor: Anchor, base: int, depth: int) -> Value:
    items = _items(node)
    keywords = _sole_keywords(items)
    if keywords is not None:
        return KeywordList(span, ex.text(node), _pairs(keywords, anchor, base, depth))
    values = tuple(read_value(c, anchor, base, depth + 1) for c in items)
    if values and all(
        isinstance(v, TupleV) and len(v.items) == 2 and isinstance(v.items[0], Atom) for v in values
    ):
        pairs = tuple(
            Pair(v.items[0].name, v.items[0].span, v.items[1], v.span)  # type: ignore[attr-defined]
            for v in values
            if isinstance(v, TupleV)
        )
        return KeywordList(span, ex.text(node), pairs, tuple_style=True)
    if not items:
        return KeywordList(span, ex.text(node), ())
    return ListV(span, ex.text(node), values)


def mentions(source: str, key: str) -> bool:
    """Whether ``:key`` or ``key:`` appears anywhere in an expression's source (inside a
    conditional, a ``Keyword.put`` or a tuple list too)."""
    return re.search(rf"(?<![\w:]){key}:(?!:)|(?<![\w:]):{key}\b", source) is not None
