"""Byte offsets <-> LSP positions and URIs <-> paths, in one place."""

from __future__ import annotations

from lsprotocol import types as t
from pygls import uris

from mpg_lsp.syntax.document import Document, Encoding


def to_range(doc: Document, start: int, end: int, encoding: Encoding) -> t.Range:
    sl, sc = doc.position_at(start, encoding)
    el, ec = doc.position_at(end, encoding)
    return t.Range(start=t.Position(line=sl, character=sc), end=t.Position(line=el, character=ec))


def to_offsets(doc: Document, rng: t.Range, encoding: Encoding) -> tuple[int, int]:
    start = doc.offset_at(rng.start.line, rng.start.character, encoding)
    end = doc.offset_at(rng.end.line, rng.end.character, encoding)
    return (start, end) if start <= end else (end, start)


def path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    return uris.to_fs_path(uri)


def uri_of(path: str) -> str:
    return uris.from_fs_path(path) or f"file://{path}"
