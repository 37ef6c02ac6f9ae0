"""The syntax layer: LSP line breaks, position encodings, and incremental parsing."""

from __future__ import annotations

import re
from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st
from mpg_lsp.project.elixir_config import ElixirFacts, is_relevant
from mpg_lsp.syntax import elixir, toml
from mpg_lsp.syntax.document import MAX_PENDING_EDITS, Document, Encoding
from mpg_lsp.syntax.languages import Lang
from mpg_lsp.syntax.lines import LineIndex
from mpg_lsp.syntax.shifts import Shifts
from projects import SAMPLE

PIECES = [
    "a",
    "é",
    "🚀",
    "日",
    "\n",
    "\r",
    "\r\n",
    " ",
    ",",
    "#",
    "\u2028",
    "config :x, Y.Repo, url: 1\n",
    "if config_env() == :prod do\n",
    "end\n",
    "[",
    "]",
    "do",
    ":",
]


def reference_starts(text: bytes) -> list[int]:
    return [0] + [m.end() for m in re.finditer(rb"\r\n|\r|\n", text)]


@given(st.lists(st.sampled_from(PIECES), max_size=12), st.data())
def test_line_index_updates_like_a_fresh_scan(parts: list[str], data: st.DataObject) -> None:
    text = "".join(parts).encode()
    index = LineIndex(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    new = "".join(data.draw(st.lists(st.sampled_from(PIECES), max_size=3))).encode()
    updated = text[:start] + new + text[end:]
    index.update(updated, start, end, start + len(new))
    assert index.starts == reference_starts(updated)


@given(st.lists(st.sampled_from(PIECES), max_size=12), st.data())
def test_line_index_stays_right_edit_after_edit(parts: list[str], data: st.DataObject) -> None:
    """Line starts shifted lazily by one edit and merged with the next: every start and every
    offset's line are those of a fresh scan after each edit."""
    text = "".join(parts).encode()
    index = LineIndex(text)
    for _ in range(data.draw(st.integers(1, 8))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 3)))
        new = "".join(data.draw(st.lists(st.sampled_from(PIECES), max_size=2))).encode()
        text = text[:start] + new + text[end:]
        index.update(text, start, end, start + len(new))
        ref = reference_starts(text)
        assert [index.start(i) for i in range(len(index))] == ref
        assert [index.line_of(o) for o in range(len(text) + 1)] == [
            bisect_right(ref, o) - 1 for o in range(len(text) + 1)
        ]
    assert index.starts == reference_starts(text)


@given(st.integers(1, 70), st.sampled_from([2, 64]), st.data())
def test_line_index_stays_right_over_a_burst_at_many_places(
    n_edits: int, max_marks: int, data: st.DataObject
) -> None:
    """Edits at many places of a long text, each leaving a pending shift behind (and, with a
    small limit, settled now and then): every line start and every offset's line stay those
    of a fresh scan."""
    pieces = st.sampled_from(["ab", "", "c\r", "x = 1", "\u00e9"])
    text = "\n".join(data.draw(st.lists(pieces, min_size=40))).encode()

    class Index(LineIndex):
        __slots__ = ()
        MAX_MARKS = max_marks

    index = Index(text)
    for _ in range(n_edits):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 4)))
        new = "".join(data.draw(st.lists(st.sampled_from(PIECES), max_size=2))).encode()
        text = text[:start] + new + text[end:]
        index.update(text, start, end, start + len(new))
        ref = reference_starts(text)
        assert [index.start(i) for i in range(len(index))] == ref
    assert [index.line_of(o) for o in range(len(text) + 1)] == [
        bisect_right(ref, o) - 1 for o in range(len(text) + 1)
    ]
    assert index.starts == reference_starts(text)
    assert [index.start(i) for i in range(len(index))] == ref


@given(st.integers(0, 40), st.lists(st.tuples(st.integers(0, 45), st.integers(-5, 5))))
def test_pending_shifts_are_the_sum_of_every_move_before(size: int, moves) -> None:
    shifts = Shifts(size)
    naive = [0] * size
    for index, delta in moves:
        shifts.add(index, delta)
        for i in range(index, size):
            naive[i] += delta
        assert [shifts.at(i) for i in range(size)] == naive
    written = [0] * size
    for first, stop, delta in shifts.runs():
        assert delta
        for i in range(first, stop):
            written[i] += delta
    assert written == naive


def test_u2028_is_not_a_line_break_but_cr_is() -> None:
    doc = Document("x.exs", Lang.ELIXIR, "a = 1 # \u2028 still line 0\rb = 2\r\nc = 3".encode())
    assert len(doc.lines) == 3
    assert doc.position_at(doc.text.index(b"b")) == (1, 0)
    assert doc.position_at(doc.text.index(b"c")) == (2, 0)


def test_columns_in_each_encoding() -> None:
    line = '  name: "café 🚀 日本", pool_size: 8'
    doc = Document("x.exs", Lang.ELIXIR, f"x = 1\n{line}\n".encode())
    offset = doc.text.index(b"pool_size")
    prefix = line[: line.index("pool_size")]
    utf16 = len(prefix.encode("utf-16-le")) // 2
    assert doc.position_at(offset, "utf-8") == (1, len(prefix.encode()))
    assert doc.position_at(offset, "utf-16") == (1, utf16)
    assert doc.position_at(offset, "utf-32") == (1, len(prefix))
    enc: Encoding
    for enc, col in (("utf-8", len(prefix.encode())), ("utf-16", utf16), ("utf-32", len(prefix))):
        assert doc.offset_at(1, col, enc) == offset
    # a column inside the surrogate pair / the UTF-8 bytes of 🚀 never splits the character
    rocket = doc.text.index("🚀".encode())
    assert doc.offset_at(1, len(line[: line.index("🚀")]) + 1, "utf-32") == rocket + 4
    assert doc.offset_at(1, len(line[: line.index("🚀")].encode()) + 2, "utf-8") == rocket


def test_out_of_range_positions_clamp() -> None:
    doc = Document("x.exs", Lang.ELIXIR, b"a\nbc\n")
    assert doc.offset_at(1, 99) == 4
    assert doc.offset_at(99, 0) == len(doc.text)
    assert doc.offset_at(-1, 5) == 0
    assert doc.position_at(10**6) == (2, 0)


def test_grammar_has_every_node_kind_we_rely_on() -> None:
    elixir.check_grammar()
    toml.check_grammar()


def _located(facts: ElixirFacts) -> list[tuple]:
    """Facts with absolute positions (facts compare by content and relative spans)."""
    out = []
    for f in facts.facts():
        span = getattr(f, "span", None)
        out.append((f, span.start if span else None, span.end if span else None))
    return out


def _facts(doc: Document) -> list[tuple]:
    facts = ElixirFacts()
    facts.refresh(doc)
    return _located(facts)


SOURCE = (SAMPLE / "config" / "runtime.exs").read_bytes() + (
    SAMPLE / "config" / "config.exs"
).read_bytes()


@settings(max_examples=int(__import__("os").environ.get("MPG_LSP_EXAMPLES", "60")), deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 6), st.sampled_from(PIECES + [""])),
        min_size=1,
        max_size=12,
    )
)
def test_incremental_tree_and_facts_equal_a_fresh_read(edits: list[tuple[float, int, str]]) -> None:
    doc = Document("c.exs", Lang.ELIXIR, SOURCE)
    live = ElixirFacts()
    live.refresh(doc)
    for where, length, text in edits:
        start = int(where * len(doc.text))
        doc.edit(start, min(len(doc.text), start + length), text.encode())
        doc.reparse()
        live.refresh(doc)
        fresh = Document("c.exs", Lang.ELIXIR, doc.text)
        if str(doc.tree.root_node) != str(fresh.tree.root_node):
            # tree-sitter's error recovery may differ from a fresh parse, only on broken text
            assert fresh.tree.root_node.has_error
            continue
        assert _located(live) == _facts(fresh)
        assert live.relevant() == [f for f, _, _ in _facts(fresh) if is_relevant(f)]


@settings(max_examples=int(__import__("os").environ.get("MPG_LSP_EXAMPLES", "60")), deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(["a", "", "1", "\n"])),
            min_size=1,
            max_size=25,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_facts_after_a_burst_at_many_places_equal_a_fresh_read(
    bursts: list[list[tuple[float, int, str]]],
) -> None:
    """Many edits at scattered places, then one reparse and one refresh (a burst the server
    applies at once): every form moved by the edits before it, read again where touched."""
    doc = Document("c.exs", Lang.ELIXIR, SOURCE)
    live = ElixirFacts()
    live.refresh(doc)
    for burst in bursts:
        for where, length, text in burst:
            start = int(where * len(doc.text))
            doc.edit(start, min(len(doc.text), start + length), text.encode())
            ref = reference_starts(doc.text)
            assert [doc.lines.start(i) for i in range(len(doc.lines))] == ref
        doc.reparse()
        live.refresh(doc)
        fresh = Document("c.exs", Lang.ELIXIR, doc.text)
        assert doc.lines.starts == fresh.lines.starts
        if str(doc.tree.root_node) != str(fresh.tree.root_node):
            assert fresh.tree.root_node.has_error
            continue
        assert _located(live) == _facts(fresh)


def test_edits_nobody_takes_stay_bounded_and_become_a_whole_reread() -> None:
    """A document no fact reader follows edit by edit (a Dockerfile, .mpg-lsp.toml) is edited
    all day: the edits kept for readers stay bounded, and a reader that comes at last is told
    to read the whole text rather than handed a partial list."""
    doc = Document("Dockerfile", Lang.TEXT, b"FROM debian\n" + b"RUN true\n" * 3000)
    doc.take_edits()
    for i in range(5000):
        at = (i * 7919) % 3000 * 9  # the start of a line, far from the previous edit
        doc.edit(at, at, b"#")
        assert len(doc.pending) <= MAX_PENDING_EDITS
    reset, edits = doc.take_edits()
    assert reset and len(edits) < MAX_PENDING_EDITS
    doc.edit(0, 0, b"#")  # once taken, edits are kept one by one again
    reset, edits = doc.take_edits()
    assert not reset and [(e.start, e.old_end, e.new_end) for e in edits] == [(0, 0, 1)]
