"""Offsets of many items moved by many edits, without moving every item once per edit.

A reader keeps one entry per top-level node (a config form, a fly.toml table), sorted by
offset. Each edit moves every entry after it; done entry by entry, a burst of edits at many
places of a big file costs (edits x entries). ``Shifts`` keeps the moves pending instead, as
marks (from this entry on, so much further), and ``runs`` hands them over at the end to be
written in one pass.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class Shifts:
    """Pending moves of entries ``0..size-1``: ``add(i, d)`` moves entry ``i`` and every
    later one by ``d``; ``at(i)`` is how far entry ``i`` has moved. Reading is a bisection;
    adding costs the number of marks, which is at most the number of edits."""

    __slots__ = ("_marks", "_size", "_totals")

    def __init__(self, size: int) -> None:
        self._size = size
        self._marks: list[int] = []  # ascending entry indices
        self._totals: list[int] = []  # how far entries from _marks[k] to the next mark moved

    def add(self, index: int, delta: int) -> None:
        if not delta or index >= self._size:
            return
        marks, totals = self._marks, self._totals
        k = bisect_left(marks, index)
        if k == len(marks) or marks[k] != index:
            marks.insert(k, index)
            totals.insert(k, totals[k - 1] if k else 0)
        for j in range(k, len(totals)):
            totals[j] += delta

    def at(self, index: int) -> int:
        k = bisect_right(self._marks, index) - 1
        return self._totals[k] if k >= 0 else 0

    def runs(self) -> list[tuple[int, int, int]]:
        """``(first, stop, delta)``: entries ``first..stop-1`` moved by ``delta`` (non-zero),
        in order, covering every moved entry once."""
        marks, totals = self._marks, self._totals
        ends = [*marks[1:], self._size]
        return [(m, e, d) for m, e, d in zip(marks, ends, totals) if d]
