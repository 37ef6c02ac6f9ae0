"""What both grammars' nodes share."""

from __future__ import annotations

from tree_sitter import Node


def text(node: Node) -> str:
    """A node's source text; bytes that are not UTF-8 read as U+FFFD, never an error."""
    raw = node.text
    return raw.decode("utf-8", errors="replace") if raw is not None else ""


def children_overlapping(root: Node, lo: int, hi: int) -> list[Node]:
    """The named children of ``root`` that touch ``[lo, hi]``, found through a cursor in
    O(log n): the top-level forms or tables an edit may have changed.

    (``Node.prev_named_sibling`` crashed py-tree-sitter 0.26.1 on some edited trees, so the
    cursor is positioned one byte early instead of stepping back. It finds no child for a byte
    between two children, as in the blank line between two TOML tables; the children are
    then walked from the first, and ``Node.first_child_for_byte`` crashes it outright.)
    """
    nodes: list[Node] = []
    cursor = root.walk()
    if cursor.goto_first_child_for_byte(max(lo - 1, 0)) is None:
        cursor = root.walk()
        if not cursor.goto_first_child():
            return nodes
        while cursor.node is not None and cursor.node.end_byte < lo:
            if not cursor.goto_next_sibling():
                return nodes
    while True:
        node = cursor.node
        if node is None or node.start_byte > hi:
            break
        if node.is_named and node.end_byte >= lo:
            nodes.append(node)
        if not cursor.goto_next_sibling():
            break
    return nodes
