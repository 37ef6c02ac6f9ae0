"""What both grammars' nodes share."""

from __future__ import annotations

from tree_sitter import Node


def text(node: Node) -> str:
    """A node's source text; bytes that are not UTF-8 read as U+FFFD, never an error."""
    raw = node.text
    return raw.decode("utf-8", errors="replace") if raw is not None else ""
