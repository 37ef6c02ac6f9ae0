"""A line index over UTF-8 bytes that breaks lines exactly where LSP does.

LSP splits on ``\\n``, ``\\r\\n`` and ``\\r`` only; ``str.splitlines`` also splits on
``\\u2028``, form feeds and friends, which would shift every position after them.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_BREAK = re.compile(rb"\r\n|\r|\n")


def _breaks(text: bytes, lo: int = 0, hi: int | None = None) -> list[int]:
    """Starts of the lines that begin inside ``text[lo:hi]`` (exclusive of ``lo``)."""
    end = len(text) if hi is None else hi
    return [m.end() for m in _BREAK.finditer(text, lo, end)]


class LineIndex:
    """Byte offset of the start of every line.

    An edit moves every later line start by the same amount; that shift is kept pending (from
    a line on, by so much) and merged with the next edit's, so typing costs O(log n) per
    keystroke instead of rewriting n line starts, and edits far apart cost only the lines
    between them.
    """

    __slots__ = ("_delta", "_from", "_starts")

    def __init__(self, text: bytes) -> None:
        self._starts: list[int] = [0, *_breaks(text)]
        self._from = len(self._starts)  # line starts from this index on are off by _delta
        self._delta = 0

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def starts(self) -> list[int]:
        """Every line start (the pending shift applied)."""
        self._shift_from(len(self._starts), 0)
        return self._starts

    def start(self, line: int) -> int:
        value = self._starts[line]
        return value + self._delta if line >= self._from else value

    def line_of(self, offset: int) -> int:
        starts, first = self._starts, self._from
        if first < len(starts) and offset >= starts[first] + self._delta:
            return bisect_right(starts, offset - self._delta, first) - 1
        return bisect_right(starts, offset, 0, first) - 1

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

    def _shift_from(self, line: int, delta: int) -> None:
        """Move the starts of ``line`` and every later line by ``delta``; the pending shift
        then starts at ``line`` (the lines it no longer covers are settled)."""
        starts, pending, first = self._starts, self._delta, self._from
        if not pending:
            self._from, self._delta = line, delta
        elif line == first:
            self._delta = pending + delta
        elif line < first:  # settle the old shift; the new one starts where typing goes on
            starts[first:] = [s + pending for s in starts[first:]]
            self._from, self._delta = line, delta
        else:
            starts[first:line] = [s + pending for s in starts[first:line]]
            self._from, self._delta = line, pending + delta
        if not self._delta or self._from >= len(starts):
            self._from, self._delta = len(starts), 0

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
        self._shift_from(last + 1, delta)
        pending = self._from < len(self._starts)
        # lines first+1..last are below the pending shift's first line: stored as they are
        self._starts[first + 1 : last + 1] = middle
        self._from = self._from + len(middle) - (last - first) if pending else len(self._starts)
