"""Offsets of many items moved by many edits, without moving every item once per edit.

Line starts, config forms and fly.toml tables are kept in order, one entry each. An edit
moves every entry after it; done entry by entry, a burst of edits at many places of a big
file costs (edits x entries). ``Shifts`` keeps the moves pending instead, as marks (from this
entry on, so much further), read by bisection and handed over by ``runs`` to be written in
one pass. ``carry`` takes the readers' entries (extents in the text) through one edit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from mpg_lsp.syntax.document import ByteEdit


class Shifts:
    """Pending moves of entries ``0..size-1``: ``add(i, d)`` moves entry ``i`` and every
    later one by ``d``; ``at(i)`` is how far entry ``i`` has moved. Reading is a bisection;
    adding costs the number of marks, which is at most the number of places edited.

    ``marks`` (ascending entry indices) and ``totals`` (how far the entries from
    ``marks[k]`` up to the next mark have moved) are there to be read; they change only
    through the methods."""

    __slots__ = ("_size", "marks", "totals")

    def __init__(self, size: int) -> None:
        self._size = size
        self.marks: list[int] = []
        self.totals: list[int] = []

    def add(self, index: int, delta: int) -> None:
        if not delta or index >= self._size:
            return
        marks, totals = self.marks, self.totals
        k = bisect_left(marks, index)
        before = totals[k - 1] if k else 0
        if k == len(marks) or marks[k] != index:
            marks.insert(k, index)
            totals.insert(k, before)
        for j in range(k, len(totals)):
            totals[j] += delta
        if totals[k] == before:  # moved and moved back: the mark no longer moves anything
            del marks[k], totals[k]

    def at(self, index: int) -> int:
        k = bisect_right(self.marks, index) - 1
        return self.totals[k] if k >= 0 else 0

    def splice(self, first: int, last: int, count: int) -> None:
        """Entries ``first+1..last`` were replaced by ``count`` new ones, which move as entry
        ``first`` does; the entries after them keep their moves under their new indices."""
        marks, totals = self.marks, self.totals
        here, follow = self.at(first), self.at(last + 1)
        moved = count - (last - first)
        cut, keep = bisect_right(marks, first), bisect_right(marks, last + 1)
        tail_marks = [m + moved for m in marks[keep:]]
        tail_totals = totals[keep:]
        del marks[cut:], totals[cut:]
        if last + 1 < self._size and follow != here:
            marks.append(last + 1 + moved)
            totals.append(follow)
        marks += tail_marks
        totals += tail_totals
        self._size += moved

    def runs(self) -> list[tuple[int, int, int]]:
        """``(first, stop, delta)``: entries ``first..stop-1`` moved by ``delta`` (non-zero),
        in order, covering every moved entry once."""
        ends = [*self.marks[1:], self._size]
        return [(m, e, d) for m, e, d in zip(self.marks, ends, self.totals) if d]

    def clear(self) -> None:
        """The moves were written: none is pending."""
        self.marks.clear()
        self.totals.clear()


class Extent(Protocol):
    """What a reader keeps per top-level node: where it starts and ends in the text."""

    @property
    def start(self) -> int: ...

    end: int


E = TypeVar("E", bound=Extent)


def carry(items: Sequence[E], edit: ByteEdit, moved: Shifts) -> list[tuple[int, int]]:
    """Take ``items`` (sorted, disjoint extents, each off by ``moved.at(i)``) through one
    ``edit``: every item it touches grows or shrinks with it, and every later one's move is
    added to ``moved`` (for the caller to write from ``moved.runs()`` after the last edit).
    The touched items' extents, in the edited text."""
    delta = edit.new_end - edit.old_end
    # sorted and disjoint: skip the items that end before the edit
    index = bisect_left(range(len(items)), edit.start, key=lambda i: items[i].end + moved.at(i))
    touched = []
    while index < len(items):
        item, shift = items[index], moved.at(index)
        start = item.start + shift
        if start > edit.old_end:
            break
        end = max(start, item.end + shift + delta)
        item.end = end - shift
        touched.append((start, end))
        index += 1
    moved.add(index, delta)
    return touched
