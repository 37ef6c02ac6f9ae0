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
    """Byte offset of the start of every line."""

    __slots__ = ("starts",)

    def __init__(self, text: bytes) -> None:
        self.starts: list[int] = [0, *_breaks(text)]

    def __len__(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def line_bounds(self, line: int, text: bytes) -> tuple[int, int]:
        """Byte range of ``line``'s content, without its line break."""
        start = self.starts[line]
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            if text[end - 1 : end] == b"\n":
                end -= 1
                if end > start and text[end - 1 : end] == b"\r":
                    end -= 1
            elif text[end - 1 : end] == b"\r":
                end -= 1
        else:
            end = len(text)
        return start, end

    def update(self, new_text: bytes, start: int, old_end: int, new_end: int) -> None:
        """Adjust the index after ``old[start:old_end]`` became ``new[start:new_end]``.

        Only the lines around the edit are rescanned; a ``\\r`` just before the edit or a
        ``\\n`` just after it can join with the new text into one ``\\r\\n`` break, so the
        rescan starts one byte early and ends at the next untouched line start.
        """
        starts = self.starts
        delta = new_end - old_end
        first = self.line_of(max(start - 1, 0))
        last = self.line_of(old_end + 1)
        lo = starts[first]
        if last + 1 < len(starts):
            tail = [s + delta for s in starts[last + 1 :]]
            hi = tail[0]
        else:
            tail = []
            hi = len(new_text)
        middle = _breaks(new_text, lo, hi)
        if tail and middle and middle[-1] >= hi:
            middle.pop()  # the break that ends at the first untouched line start
        self.starts = [*starts[: first + 1], *middle, *tail]
