"""A line index over UTF-8 bytes that breaks lines exactly where LSP does.

LSP splits on ``\\n``, ``\\r\\n`` and ``\\r`` only; ``str.splitlines`` also splits on
``\\u2028``, form feeds and friends, which would shift every position after them.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from mpg_lsp.syntax.shifts import Shifts

_BREAK = re.compile(rb"\r\n|\r|\n")


def _breaks(text: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
    """Starts of the lines that begin inside ``text[lo:hi]`` (exclusive of ``lo``)."""
    end = len(text) if hi is None else hi
    return [m.end() for m in _BREAK.finditer(text, lo, end)]


class LineIndex:
    """Byte offset of the start of every line.

    An edit moves every later line start by the same amount. That shift is not written into
    the stored starts but kept pending (``syntax.shifts``: from this line on, add so much),
    with the shifts of earlier edits: a keystroke costs O(log n), and a burst of edits at many
    places costs O(log n) per edit too, until more than ``MAX_MARKS`` places are pending and
    one pass over the starts settles them all.
    """

    __slots__ = ("_moves", "_starts")

    MAX_MARKS = 64

    def __init__(self, text: bytes) -> None:
        self._starts: list[int] = [0, *_breaks(text)]
        self._moves = Shifts(len(self._starts))  # what to add to each stored start

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def starts(self) -> list[int]:
        """Every line start (the pending shifts applied)."""
        self._settle()
        return self._starts

    def _settle(self) -> None:
        starts = self._starts
        for first, stop, delta in self._moves.runs():
            starts[first:stop] = [s + delta for s in starts[first:stop]]
        self._moves.clear()

    def start(self, line: int) -> int:
        return self._starts[line] + self._moves.at(line)

    def line_of(self, offset: int) -> int:
        starts, marks, totals = self._starts, self._moves.marks, self._moves.totals
        # the last segment (lines up to the first mark, then each mark's) starting at or
        # before ``offset``; inside it the stored starts are off by one constant
        if len(marks) < 8:
            i = len(marks) - 1
            while i >= 0 and starts[marks[i]] + totals[i] > offset:
                i -= 1
        else:
            segment_start = lambda k: starts[marks[k]] + totals[k]  # noqa: E731
            i = bisect_right(range(len(marks)), offset, key=segment_start) - 1
        if i < 0:
            return bisect_right(starts, offset, 0, marks[0] if marks else len(starts)) - 1
        stop = marks[i + 1] if i + 1 < len(marks) else len(starts)
        return bisect_right(starts, offset - totals[i], marks[i], stop) - 1

    def line_bounds(self, line: int, text: bytes) -> tuple[int, int]:
        """Byte range of ``line``'s content, without its line break."""
        start = self.start(line)
        if line + 1 < len(self._starts):
            end = self.start(line + 1)
            if text[end - 1 : end] == b"\n":
                end -= 1
                if end > start and text[end - 1 : end] == b"\r":
                    end -= 1
            elif text[end - 1 : end] == b"\r":
                end -= 1
        else:
            end = len(text)
        return start, end

    def shift_after(self, line: int, delta: int) -> None:
        """Every line after ``line`` moved by ``delta`` (an edit inside ``line`` that neither
        adds nor removes a line break)."""
        self._moves.add(line + 1, delta)
        if len(self._moves.marks) > self.MAX_MARKS:
            self._settle()

    def update(self, new_text: bytes, start: int, old_end: int, new_end: int) -> None:
        """Adjust the index after ``old[start:old_end]`` became ``new[start:new_end]``.

        Only the lines around the edit are rescanned; a ``\\r`` just before the edit or a
        ``\\n`` just after it can join with the new text into one ``\\r\\n`` break, so the
        rescan starts one byte early and ends at the next untouched line start.
        """
        delta = new_end - old_end
        first = self.line_of(max(start - 1, 0))
        last = self.line_of(old_end + 1)
        lo = self.start(first)
        untouched = last + 1 < len(self._starts)
        hi = self.start(last + 1) + delta if untouched else len(new_text)
        middle = _breaks(new_text, lo, hi)
        if untouched and middle and middle[-1] >= hi:
            middle.pop()  # the break that ends at the first untouched line start
        here = self._moves.at(first)  # the new lines between first and last join its segment
        self._moves.add(last + 1, delta)  # the untouched lines move
        self._moves.splice(first, last, len(middle))
        self._starts[first + 1 : last + 1] = [b - here for b in middle] if here else middle
        if len(self._moves.marks) > self.MAX_MARKS:
            self._settle()
