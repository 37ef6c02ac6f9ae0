"""A fly config read edit by edit says exactly what a fresh read of the same text says: only the
tables an edit touched are read again, and nothing else may drift."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from mpg_lsp.project.fly_config import read_fly
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
SNIPPETS = [b"", b"x", b"=", b"\n", b"[", b"]", b'"', b"'", b"1", b"\n[env]\n", b"A = 'b'\n", b"#"]


def _facts(doc: Document) -> tuple[object, ...]:
    f = read_fly(doc)
    return (f.app, f.release_command, f.env, f.valid, f.text, f.processes, f.names, f.evidence)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/fly*.toml")), ids=lambda p: p.parent.name)
def test_incremental_fly_facts_equal_a_fresh_read(path: Path) -> None:
    rng = random.Random(path.name)
    doc = Document(str(path), Lang.TOML, path.read_bytes())
    _facts(doc)
    for _ in range(60):
        start = rng.randrange(len(doc.text) + 1)
        end = min(len(doc.text), start + rng.choice([0, 0, 1, 2, 10]))
        doc.edit(start, end, rng.choice(SNIPPETS))
        if rng.random() < 0.8:  # sometimes two edits between reads, as a burst brings
            doc.reparse()
            fresh = Document(str(path), Lang.TOML, doc.text)
            assert _facts(doc) == _facts(fresh), doc.text.decode()
