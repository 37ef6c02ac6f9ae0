"""One incremental document: UTF-8 bytes, an LSP line index and a tree-sitter tree.

Every content change is applied to the bytes, the line index and the tree (``tree.edit``),
and the tree is reparsed against the edited old tree, so a keystroke costs in proportion to
the edit rather than the file. Positions are converted here, in one place, between byte
offsets and LSP positions in the negotiated encoding.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Literal

from tree_sitter import Point, Tree

from mpg_lsp.records import record
from mpg_lsp.syntax.languages import Lang, parser
from mpg_lsp.syntax.lines import LineIndex

Encoding = Literal["utf-8", "utf-16", "utf-32"]


class _LiveTrees:
    """Trees cost about 25 bytes per byte of source; only the most recently used documents
    keep theirs (the rest keep their text and facts, and are parsed again when needed)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._docs: OrderedDict[int, weakref.ref[Document]] = OrderedDict()

    def keep(self, doc: Document) -> None:
        key = id(doc)
        if key in self._docs:
            self._docs.move_to_end(key)
            return
        self._docs[key] = weakref.ref(doc)
        while len(self._docs) > self.limit:
            _, ref = self._docs.popitem(last=False)
            old = ref()
            if old is not None:
                old.drop_tree()


_live_trees = _LiveTrees(limit=32)


@record(frozen=True)
class ByteEdit:
    """``old[start:old_end]`` was replaced; the new bytes end at ``new_end``."""

    start: int
    old_end: int
    new_end: int
    count: int = 1  # edits merged into this one (typing: each keystroke extends the last)


def map_offset(pos: int, edit: ByteEdit) -> int:
    """Where an offset of the old text is after ``edit``; inside the replaced bytes, their end."""
    if pos <= edit.start:
        return pos
    if pos >= edit.old_end:
        return pos + edit.new_end - edit.old_end
    return edit.new_end


def _ts_point(text: bytes, offset: int) -> Point:
    # tree-sitter counts rows on "\n" only, whatever LSP thinks of "\r".
    row = text.count(b"\n", 0, offset)
    col = offset - (text.rfind(b"\n", 0, offset) + 1)
    return Point(row, col)


def _breaks_in(chunk: bytes) -> bool:
    return b"\n" in chunk or b"\r" in chunk


def _decode(chunk: bytes) -> tuple[str, bool]:
    """The characters of ``chunk`` as the client counts them, and whether exactly so. A lone
    surrogate from JSON (kept with surrogatepass) is one character, and a literal U+FFFD is
    three bytes; invalid bytes (only files on disk have them) become U+FFFD, one byte each."""
    try:
        return chunk.decode("utf-8", "surrogatepass"), True
    except UnicodeDecodeError:
        return chunk.decode("utf-8", errors="replace"), False


def _units(chunk: bytes, encoding: Encoding) -> int:
    if encoding == "utf-8" or chunk.isascii():
        return len(chunk)
    decoded, _ = _decode(chunk)
    if encoding == "utf-32":
        return len(decoded)
    return len(decoded) + sum(1 for ch in decoded if ord(ch) > 0xFFFF)


# Separate edits kept for the fact readers before they give way to one whole re-read.
MAX_PENDING_EDITS = 256


class Document:
    """The text of one file as mpg-lsp sees it, kept in step with the editor."""

    def __init__(self, path: str, lang: Lang, text: bytes, version: int | None = None) -> None:
        self.path = path
        self.lang = lang
        self.version = version
        self.text = text
        self.lines = LineIndex(text)
        self._cr = b"\r" in text  # tree-sitter's rows differ from LSP's lines only with a CR
        self._parser = parser(lang)
        self._tree: Tree | None = self._parse()
        _live_trees.keep(self)
        self._previous: Tree | None = None
        self._parses = 0
        self._unparsed = False  # edited since the last parse: parsed again when next needed
        # Edits since the last time a consumer took them (the fact extractors do).
        self.pending: list[ByteEdit] = []
        self.reset = True
        self.revision = 0  # bumped on every change, for caches keyed on this document

    # -- editing -------------------------------------------------------------------------

    def replace_all(self, text: bytes, version: int | None = None) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self._cr = b"\r" in text
        self._tree = self._parse()
        _live_trees.keep(self)
        self._previous = None
        self._unparsed = False
        self.version = version
        self.pending.clear()
        self.reset = True
        self.revision += 1

    def edit(self, start: int, old_end: int, new_bytes: bytes) -> ByteEdit:
        """Replace ``text[start:old_end]``; the tree is edited but not yet reparsed."""
        old = self.text
        start = max(0, min(start, len(old)))
        old_end = max(start, min(old_end, len(old)))
        new_end = start + len(new_bytes)
        # without a CR anywhere, a break can only come or go with a "\n" in the bytes
        inline = not self._cr and not _breaks_in(new_bytes) and b"\n" not in old[start:old_end]
        if inline:  # typing within a line: no line break comes or goes, later lines move
            line = self.lines.line_of(start)
            column = start - self.lines.start(line)
            start_point = Point(line, column)
            old_end_point = Point(line, column + old_end - start)
            new_end_point: Point | None = Point(line, column + len(new_bytes))
        else:
            start_point = self._point(old, start)
            old_end_point = self._point(old, old_end)
            new_end_point = None
        if isinstance(old, bytearray):  # in a batch: a memmove, not a copy of the file
            old[start:old_end] = new_bytes
            new = old
        else:
            self.text = new = old[:start] + new_bytes + old[old_end:]
        if inline:
            self.lines.shift_after(line, new_end - old_end)
        else:
            self.lines.update(new, start, old_end, new_end)
        self._cr = self._cr or b"\r" in new_bytes
        if self._tree is not None and self.lang is not Lang.TEXT:
            # a dropped tree is parsed afresh when next needed; plain text has no tree to edit
            self._tree.edit(
                start_byte=start,
                old_end_byte=old_end,
                new_end_byte=new_end,
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=new_end_point or self._point(new, new_end),
            )
        self._unparsed = True
        change = ByteEdit(start, old_end, new_end)
        self._note(change)
        self.revision += 1
        return change

    def _note(self, change: ByteEdit) -> None:
        """Keep ``change`` for the fact readers; one that touches the last kept edit is merged
        into it, so a word typed is one edit to them, not one per letter."""
        pending = self.pending
        last = pending[-1] if pending else None
        if last is None or change.start > last.new_end or change.old_end < last.start:
            if len(pending) >= MAX_PENDING_EDITS:
                # nobody has taken them for a long while (a document no reader follows edit
                # by edit, such as a deploy file or .mpg-lsp.toml): a reader that comes later
                # reads the whole text instead, and the list stays bounded
                pending.clear()
                self.reset = True
                return
            pending.append(change)
            return
        pending[-1] = ByteEdit(
            min(last.start, change.start),
            last.old_end + max(0, change.old_end - last.new_end),
            max(last.new_end, change.old_end) + change.new_end - change.old_end,
            last.count + 1,
        )

    def begin_batch(self) -> None:
        """Several edits follow (a burst of changes): they are applied to a mutable copy of
        the text until ``end_batch``, each a memmove instead of a copy of the whole file."""
        if not isinstance(self.text, bytearray):
            self.text = bytearray(self.text)  # type: ignore[assignment]

    def end_batch(self) -> None:
        if isinstance(self.text, bytearray):
            self.text = bytes(self.text)

    def _point(self, text: bytes, offset: int) -> Point:
        """tree-sitter's (row, byte column) of ``offset``, from the line index when no CR can
        make its rows differ from LSP's lines (a count of newlines costs O(offset))."""
        if self._cr:
            return _ts_point(text, offset)
        line = self.lines.line_of(offset)
        return Point(line, offset - self.lines.start(line))

    def reparse(self) -> None:
        """Parse the edited text, reusing every subtree the edits did not touch."""
        self._previous = self._tree
        self._tree = self._parse(self._tree)
        _live_trees.keep(self)
        self._parses += 1
        self._unparsed = False

    def _parse_pending(self) -> None:
        """Parse the edits made since the last parse, if any (a tree dropped to save memory
        is parsed afresh by ``tree``)."""
        if self._unparsed:
            self.reparse()

    @property
    def parses(self) -> int:
        """Reparses so far, a pending one included: changed_ranges() only describes the last."""
        self._parse_pending()
        return self._parses

    @property
    def tree(self) -> Tree:
        """The syntax tree of the text as it is now: edits are parsed when it is next asked
        for (a burst applied in several steps is parsed once), and a tree dropped to save
        memory is parsed afresh."""
        if self._tree is None:
            self._tree = self._parse()
            self._previous = None
            self._unparsed = False
        else:
            self._parse_pending()
        _live_trees.keep(self)
        return self._tree

    def _parse(self, old: Tree | None = None) -> Tree:
        if self.lang is Lang.TEXT:
            # shell, Dockerfile and YAML text has no grammar here: an empty tree, so readers of
            # the tree find nothing in it and read the bytes instead
            return self._parser.parse(b"")
        return self._parser.parse(self.text, old) if old else self._parser.parse(self.text)

    def drop_tree(self) -> None:
        self._tree = None
        self._previous = None

    def changed_ranges(self) -> list[tuple[int, int]]:
        """Byte ranges whose syntax changed in the last reparse. Not computed by default: it
        walks both trees, costs more than the reparse on big files, and misses value-only
        edits anyway; the fact readers ask for it only when the tree's shape surprises them."""
        self._parse_pending()
        if self._previous is None or self._tree is None:
            return [(0, len(self.text))]
        return [(r.start_byte, r.end_byte) for r in self._previous.changed_ranges(self._tree)]

    def take_edits(self) -> tuple[bool, list[ByteEdit]]:
        """What changed since the last call: (whole document replaced, byte edits)."""
        result = (self.reset, self.pending)
        self.pending, self.reset = [], False
        return result

    # -- positions -------------------------------------------------------------------------

    def offset_at(self, line: int, character: int, encoding: Encoding = "utf-16") -> int:
        """Byte offset of an LSP position; out-of-range positions clamp to the document."""
        if line < 0:
            return 0
        if line >= len(self.lines):
            return len(self.text)
        start, end = self.lines.line_bounds(line, self.text)
        if character <= 0:
            return start
        chunk = self.text[start:end]
        if encoding == "utf-8":
            offset = min(character, len(chunk))
            # Never land inside a multi-byte character.
            while 0 < offset < len(chunk) and (chunk[offset] & 0xC0) == 0x80:
                offset -= 1
            return start + offset
        if chunk.isascii():
            return start + min(character, len(chunk))
        units = 0
        pos = 0
        decoded, exact = _decode(chunk)
        for ch in decoded:
            width = 2 if encoding == "utf-16" and ord(ch) > 0xFFFF else 1
            if units + width > character:
                break
            units += width
            pos += len(ch.encode("utf-8", "surrogatepass")) if exact or ch != "\ufffd" else 1
        return start + min(pos, len(chunk))

    def position_at(self, offset: int, encoding: Encoding = "utf-16") -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = self.lines.line_of(offset)
        start, end = self.lines.line_bounds(line, self.text)
        return line, _units(self.text[start : min(offset, end)], encoding)

    def line_text(self, line: int) -> bytes:
        start, end = self.lines.line_bounds(line, self.text)
        return self.text[start:end]

    def line_ending(self) -> bytes:
        """The document's own line break, used for every line a fix adds."""
        first = self.text.find(b"\n")
        cr = self.text.find(b"\r")
        if cr != -1 and (first == -1 or cr < first):
            return b"\r\n" if self.text[cr + 1 : cr + 2] == b"\n" else b"\r"
        return b"\n"
