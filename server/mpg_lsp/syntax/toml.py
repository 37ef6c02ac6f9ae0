"""What tree-sitter-toml's nodes mean to mpg-lsp. The grammar has no field names, so a pair
is read positionally (key, "=", value) and a table's header is its first named child."""

from __future__ import annotations

from tree_sitter import Node

from mpg_lsp.syntax.languages import Lang
from mpg_lsp.syntax.nodes import text as text  # noqa: PLC0414  (re-exported for callers)
from mpg_lsp.syntax.queries import query

DOCUMENT = "document"
TABLE = "table"
TABLE_ARRAY = "table_array_element"
PAIR = "pair"
BARE_KEY = "bare_key"
QUOTED_KEY = "quoted_key"
DOTTED_KEY = "dotted_key"
STRING = "string"
INLINE_TABLE = "inline_table"
COMMENT = "comment"
KEY_KINDS = (BARE_KEY, QUOTED_KEY, DOTTED_KEY)


def check_grammar() -> None:
    query(Lang.TOML, "nodes")


def key_text(node: Node) -> str:
    """`a.b` for a dotted key; quoted parts lose their quotes."""
    if node.type == DOTTED_KEY:
        # the grammar nests `a.b.c` as ((a.b).c): flattened without recursion, for keys
        # thousands of parts long
        parts: list[str] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == DOTTED_KEY:
                stack.extend(reversed([c for c in current.named_children if c.type in KEY_KINDS]))
            else:
                parts.append(key_text(current))
        return ".".join(parts)
    raw = text(node)
    if node.type == QUOTED_KEY and len(raw) >= 2:
        return raw[1:-1]
    return raw


def pair_parts(pair: Node) -> tuple[Node, Node] | None:
    named = [c for c in pair.named_children if c.type != COMMENT]
    if len(named) != 2 or named[0].type not in KEY_KINDS:
        return None
    return named[0], named[1]


def table_name(table: Node) -> str | None:
    header = next((c for c in table.named_children if c.type in KEY_KINDS), None)
    return key_text(header) if header is not None else None
