"""Single-character edits at random places, far from the Repo call.

Each edit is something a person types without breaking the syntax: a letter
typed into or deleted from a keyword key (`limit:` -> `liHmit:`), a letter typed
into a string, a digit overwritten in an integer. No newlines, so the Repo
call's line never moves and MPG101 must stay on it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

KEY_RE = re.compile(r"(?<![\w.])([a-z][a-z_]*): ")
STRING_RE = re.compile(r'"([^"\\#]*)"')
INT_RE = re.compile(r"(?<![\w.])\d+")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Edit:
    line: int  # 0-based
    col: int  # 0-based, ASCII so bytes == UTF-16 units
    delete: int  # characters removed at (line, col): 0 or 1
    text: str  # inserted text: "" or one character

    def lsp_change(self) -> dict:
        return {
            "range": {
                "start": {"line": self.line, "character": self.col},
                "end": {"line": self.line, "character": self.col + self.delete},
            },
            "text": self.text,
        }


class Document:
    """The text every peer is kept in sync with, as lines without their "\\n"."""

    def __init__(self, text: str) -> None:
        assert text.endswith("\n") and "\r" not in text and text.isascii()
        self.lines = text[:-1].split("\n")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def line_start(self, line: int) -> int:
        return sum(len(s) + 1 for s in self.lines[:line])

    def apply(self, e: Edit) -> None:
        s = self.lines[e.line]
        self.lines[e.line] = s[: e.col] + e.text + s[e.col + e.delete :]


def pick_edit(doc: Document, rng: random.Random, lo: int, hi: int) -> Edit:
    """A random single-character edit on a line in [lo, hi)."""
    for _ in range(10_000):
        line = rng.randrange(lo, hi)
        s = doc.lines[line]
        if s.lstrip().startswith("#"):
            continue
        kind = rng.randrange(4)
        if kind == 0:  # type a letter into a keyword key
            keys = list(KEY_RE.finditer(s))
            if keys:
                m = rng.choice(keys)
                col = rng.randrange(m.start(1) + 1, m.end(1) + 1)
                return Edit(line, col, 0, rng.choice(LETTERS))
        elif kind == 1:  # delete a letter from a keyword key, keeping it >= 3 long
            keys = [m for m in KEY_RE.finditer(s) if len(m.group(1)) > 3]
            if keys:
                m = rng.choice(keys)
                col = rng.randrange(m.start(1) + 1, m.end(1))
                return Edit(line, col, 1, "")
        elif kind == 2:  # type a letter into a string
            strings = list(STRING_RE.finditer(s))
            if strings:
                m = rng.choice(strings)
                col = rng.randrange(m.start(1), m.end(1) + 1)
                return Edit(line, col, 0, rng.choice(LETTERS))
        else:  # overwrite a digit of an integer
            ints = list(INT_RE.finditer(s))
            if ints:
                m = rng.choice(ints)
                col = rng.randrange(m.start(), m.end())
                old = s[col]
                new = rng.choice([d for d in "123456789" if d != old])
                return Edit(line, col, 1, new)
    raise RuntimeError("no editable spot found")


def typed_burst(doc: Document, rng: random.Random, lo: int, hi: int, n: int) -> list[Edit]:
    """n single-character edits the way a burst happens: a word typed (or a key held) at one
    spot, ten letters at a time, then another spot; a deletion or overwrite now and then.
    Applied to ``doc`` as they are picked."""
    out: list[Edit] = []
    while len(out) < n:
        first = pick_edit(doc, rng, lo, hi)
        doc.apply(first)
        out.append(first)
        if first.delete or not first.text:
            continue
        for k in range(1, min(10, n - len(out) + 1)):
            e = Edit(first.line, first.col + k, 0, rng.choice(LETTERS))
            doc.apply(e)
            out.append(e)
    return out
