"""What tree-sitter-elixir's nodes mean to mpg-lsp: kind names and small accessors.

Every kind named here is also named in ``grammars/elixir/nodes.scm``; compiling that query
(``check_grammar``) proves the installed grammar still has them.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from mpg_lsp.syntax.languages import Lang
from mpg_lsp.syntax.nodes import text as text  # noqa: PLC0414  (re-exported: callers read ex.text)
from mpg_lsp.syntax.queries import query

SOURCE = "source"
CALL = "call"
DOT = "dot"
ARGUMENTS = "arguments"
DO_BLOCK = "do_block"
ELSE_BLOCK = "else_block"
STAB_CLAUSE = "stab_clause"
BINARY = "binary_operator"
UNARY = "unary_operator"
KEYWORDS = "keywords"
PAIR = "pair"
KEYWORD = "keyword"
QUOTED_KEYWORD = "quoted_keyword"
LIST = "list"
TUPLE = "tuple"
MAP = "map"
ATOM = "atom"
QUOTED_ATOM = "quoted_atom"
ALIAS = "alias"
IDENTIFIER = "identifier"
STRING = "string"
QUOTED_CONTENT = "quoted_content"
INTERPOLATION = "interpolation"
SIGIL = "sigil"
INTEGER = "integer"
BOOLEAN = "boolean"
NIL = "nil"
COMMENT = "comment"
BLOCK = "block"
BODY = "body"
MAP_CONTENT = "map_content"


def check_grammar() -> None:
    query(Lang.ELIXIR, "nodes")


def keyword_name(key: Node) -> str:
    """``url: `` -> ``url``; ``"quoted key": `` -> ``quoted key``."""
    if key.type == KEYWORD:
        return text(key).rstrip().rstrip(":")
    content = next((c for c in key.named_children if c.type == QUOTED_CONTENT), None)
    return text(content) if content is not None else ""


def call_name(call: Node) -> str:
    """``config`` for ``config ...``, ``System.get_env`` for a remote call, ``f.`` for ``f.(x)``."""
    target = call.child_by_field_name("target")
    if target is None:
        return ""
    if target.type == IDENTIFIER:
        return text(target)
    if target.type == DOT:
        left = target.child_by_field_name("left")
        right = target.child_by_field_name("right")
        if right is None:
            return (text(left) if left is not None else "") + "."
        return f"{text(left) if left is not None else ''}.{text(right)}"
    return text(target)


def arguments(call: Node) -> list[Node]:
    args = next((c for c in call.children if c.type == ARGUMENTS), None)
    return [c for c in args.named_children if c.type != COMMENT] if args is not None else []


def do_block(call: Node) -> Node | None:
    return next((c for c in call.children if c.type == DO_BLOCK), None)


def block_body(block: Node) -> list[Node]:
    """Statements of a do/else block (comments and clause arrows excluded)."""
    return [c for c in block.named_children if c.type not in (COMMENT, ELSE_BLOCK)]


def else_block(call: Node) -> Node | None:
    block = do_block(call)
    if block is None:
        return None
    return next((c for c in block.children if c.type == ELSE_BLOCK), None)


def atom_name(node: Node) -> str | None:
    if node.type == ATOM:
        return text(node)[1:]
    if node.type == QUOTED_ATOM:
        content = next((c for c in node.named_children if c.type == QUOTED_CONTENT), None)
        return text(content) if content is not None else None
    return None


def string_value(node: Node) -> str | None:
    """The literal content of a string without interpolation, else None."""
    if node.type != STRING:
        return None
    parts: list[str] = []
    for child in node.named_children:
        if child.type == QUOTED_CONTENT:
            parts.append(text(child))
        elif child.type == INTERPOLATION:
            return None
        else:  # escape sequences: keep them verbatim, good enough for names and URLs
            parts.append(text(child))
    return "".join(parts)


def walk(root: Node, kinds: set[str], limit: int = 100_000) -> Iterator[Node]:
    """Nodes of the given kinds under ``root``, in document order (iterative, bounded)."""
    cursor = root.walk()
    seen = 0
    while seen < limit:
        node = cursor.node
        seen += 1
        if node is not None and node.type in kinds:
            yield node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def walk_calls(root: Node, names: set[str]) -> Iterator[Node]:
    """Calls to any of ``names`` (``def``, ``defmodule``...) under ``root``."""
    for node in walk(root, {CALL}):
        if call_name(node) in names:
            yield node


def keyword_pairs(keywords: Node) -> Iterator[tuple[Node, Node, Node]]:
    """``(pair, key, value)`` for each complete pair of a ``keywords`` node (``a: 1, b: 2``)."""
    for child in keywords.named_children:
        if child.type == PAIR:
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key is not None and value is not None:
                yield child, key, value


def pairs_named(call: Node, key: str) -> Iterator[Node]:
    """The ``key:`` pairs of a call's trailing keyword argument."""
    args = arguments(call)
    if args and args[-1].type == KEYWORDS:
        for pair in args[-1].named_children:
            name = pair.child_by_field_name("key")
            if name is not None and keyword_name(name) == key:
                yield pair
