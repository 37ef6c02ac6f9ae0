"""Offsets of many items moved by many edits, without moving every item once per edit.

A reader keeps one entry per top-level node (a config form, a fly.toml table), sorted by
offset. Each edit moves every entry after it; done entry by entry, a burst of edits at many
places of a big file costs (edits x entries). ``Shifts`` keeps the moves pending instead, as
a Fenwick tree over entry indices (the shift of entry ``i`` is a prefix sum: O(log n) to add
or read), and ``runs`` hands them over at the end to be written in one pass.
"""

from __future__ import annotations


class Shifts:
    """Pending moves of entries ``0..size-1``: ``add(i, d)`` moves entry ``i`` and every
    later one by ``d``; ``at(i)`` is how far entry ``i`` has moved."""

    __slots__ = ("_from", "_size", "_tree")

    def __init__(self, size: int) -> None:
        self._size = size
        self._tree = [0] * (size + 1)
        self._from: dict[int, int] = {}

    def add(self, index: int, delta: int) -> None:
        if not delta or index >= self._size:
            return
        self._from[index] = self._from.get(index, 0) + delta
        tree, i = self._tree, index + 1
        while i <= self._size:
            tree[i] += delta
            i += i & -i

    def at(self, index: int) -> int:
        tree, i, total = self._tree, index + 1, 0
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    def runs(self) -> list[tuple[int, int, int]]:
        """``(first, stop, delta)``: entries ``first..stop-1`` moved by ``delta`` (non-zero),
        in order, covering every moved entry once."""
        out: list[tuple[int, int, int]] = []
        starts = sorted(self._from)
        total = 0
        for k, first in enumerate(starts):
            total += self._from[first]
            stop = starts[k + 1] if k + 1 < len(starts) else self._size
            if total:
                out.append((first, stop, total))
        return out
