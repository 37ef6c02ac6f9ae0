"""Positions as the command line prints them: 1-based lines and columns, from the byte
offsets findings carry (``lsp/positions.py`` is the server's counterpart)."""

from __future__ import annotations

from collections.abc import Callable

from mpg_lsp.syntax.document import Document, Encoding

DocFor = Callable[[str], "Document | None"]  # a file's Document, to convert offsets


def at(doc: Document, offset: int, encoding: Encoding = "utf-32") -> dict[str, int]:
    """``{"line": …, "column": …}``, 1-based; columns in characters unless told otherwise."""
    line, column = doc.position_at(offset, encoding)
    return {"line": line + 1, "column": column + 1}
