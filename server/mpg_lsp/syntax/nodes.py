"""What both grammars' nodes share."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from tree_sitter import Node

if TYPE_CHECKING:
    from mpg_lsp.syntax.document import Document

Item = TypeVar("Item")


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


def span_to_reread(
    doc: Document,
    items: Sequence[Item],
    start: Callable[[Item], int],
    end: Callable[[Item], int],
    lo: int,
    hi: int,
) -> tuple[int, int, list[Node]] | None:
    """Which of ``items`` (what a reader keeps per top-level node, in order, at their byte
    extents after the edit) an edit around ``[lo, hi]`` touched, and the new tree's top-level
    nodes that replace them: ``(first, last, nodes)`` for ``items[first:last]``.

    The range grows to whole nodes and items until it is stable (an edit can merge or split
    forms and tables). When the counts do not line up, or the tree has errors (error recovery
    can reshape nodes far from the edit while keeping their extents), it grows once more by
    what tree-sitter reports as changed. None: even that does not line up; read everything.
    """
    root = doc.tree.root_node
    widened = False
    while True:
        while True:
            nodes = children_overlapping(root, lo, hi)
            new_lo = min([lo, *(n.start_byte for n in nodes)])
            new_hi = max([hi, *(n.end_byte for n in nodes)])
            first = bisect_left(items, new_lo, key=end)
            last = first
            while last < len(items) and start(items[last]) <= new_hi:
                last += 1
            if last > first:
                new_lo = min(new_lo, start(items[first]))
                new_hi = max(new_hi, end(items[last - 1]))
            if (new_lo, new_hi) == (lo, hi):
                break
            lo, hi = new_lo, new_hi
        lined_up = len(items) - (last - first) + len(nodes) == root.named_child_count
        if lined_up and (widened or not root.has_error):
            return first, last, nodes
        if widened:
            return None
        widened = True
        for changed_start, changed_end in doc.changed_ranges():
            lo, hi = min(lo, changed_start), max(hi, changed_end)
