"""A line index over UTF-8 bytes that breaks lines exactly where LSP does.

LSP splits on ``\\n``, ``\\r\\n`` and ``\\r`` only; ``str.splitlines`` also splits on
``\\u2028``, form feeds and friends, which would shift every position after them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_BREAK = re.compile(rb"\r\n|\r|\n")


def _breaks(text: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
    """Starts of the lines that begin inside ``text[lo:hi]`` (exclusive of ``lo``)."""
    end = len(text) if hi is None else hi
    return [m.end() for m in _BREAK.finditer(text, lo, end)]


class LineIndex:
    """Byte offset of the start of every line.

    An edit moves every later line start by the same amount. That shift is not written into
    the stored starts but kept as a mark (from this line on, add so much), with the marks of
    earlier edits: a keystroke costs O(log n), and a burst of edits at many places costs
    O(log n) per edit too, until more than ``MAX_MARKS`` places are pending and one pass over
    the starts settles them all.
    """

    __slots__ = ("_cums", "_marks", "_starts")

    MAX_MARKS = 64

    def __init__(self, text: bytes) -> None:
        self._starts: list[int] = [0, *_breaks(text)]
        # lines from _marks[i] on (up to the next mark) start _cums[i] bytes after the stored
        # value; lines before the first mark are stored as they are. Marks are ascending.
        self._marks: list[int] = []
        self._cums: list[int] = []

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def starts(self) -> list[int]:
        """Every line start (the pending shifts applied)."""
        self._settle()
        return self._starts

    def _settle(self) -> None:
        starts, marks, cums = self._starts, self._marks, self._cums
        for i, (line, cum) in enumerate(zip(marks, cums)):
            stop = marks[i + 1] if i + 1 < len(marks) else len(starts)
            if cum:
                starts[line:stop] = [s + cum for s in starts[line:stop]]
        marks.clear()
        cums.clear()

    def _cum(self, line: int) -> int:
        """The pending shift of ``line``'s stored start."""
        i = bisect_right(self._marks, line) - 1
        return self._cums[i] if i >= 0 else 0

    def start(self, line: int) -> int:
        return self._starts[line] + self._cum(line)

    def line_of(self, offset: int) -> int:
        starts, marks, cums = self._starts, self._marks, self._cums
        # the last segment (lines up to the first mark, then each mark's) starting at or
        # before ``offset``; inside it the stored starts are off by one constant
        if len(marks) < 8:
            i = len(marks) - 1
            while i >= 0 and starts[marks[i]] + cums[i] > offset:
                i -= 1
        else:
            segment_start = lambda k: starts[marks[k]] + cums[k]  # noqa: E731
            i = bisect_right(range(len(marks)), offset, key=segment_start) - 1
        if i < 0:
            return bisect_right(starts, offset, 0, marks[0] if marks else len(starts)) - 1
        stop = marks[i + 1] if i + 1 < len(marks) else len(starts)
        return bisect_right(starts, offset - cums[i], marks[i], stop) - 1

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
        marks, cums = self._marks, self._cums
        first = line + 1
        if not delta or first >= len(self._starts):
            return
        k = bisect_left(marks, first)
        before = cums[k - 1] if k else 0
        if k == len(marks) or marks[k] != first:
            marks.insert(k, first)
            cums.insert(k, before)
        for j in range(k, len(cums)):
            cums[j] += delta
        if cums[k] == before:  # typed and deleted again: the mark no longer moves anything
            del marks[k], cums[k]
        if len(marks) > self.MAX_MARKS:
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
        marks, cums = self._marks, self._cums
        here = self._cum(first)  # the new lines between first and last join first's segment
        after = self._cum(last + 1) + delta  # the first untouched line's shift from now on
        moved = len(middle) - (last - first)
        # marks inside the rescanned lines go (their lines are new); later ones move with them
        cut = bisect_right(marks, first)
        keep = bisect_right(marks, last + 1)
        tail_marks = [m + moved for m in marks[keep:]]
        tail_cums = [c + delta for c in cums[keep:]]
        del marks[cut:], cums[cut:]
        if untouched and after != here:
            marks.append(last + 1 + moved)
            cums.append(after)
        marks += tail_marks
        cums += tail_cums
        self._starts[first + 1 : last + 1] = [b - here for b in middle] if here else middle
        if len(marks) > self.MAX_MARKS:
            self._settle()
