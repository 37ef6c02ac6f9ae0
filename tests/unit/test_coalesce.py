"""A burst of didChange notifications queued behind each other is applied as one: a word
typed letter by letter becomes one change, and the text is the same as from the changes one
by one. The server-side property (tests/lsp/test_sync_property.py) checks the text over the
real process; these pin down which changes are folded and which are left alone."""

from __future__ import annotations

from typing import Any

from mpg_lsp.lsp.protocol import coalesce


def change(line: int, col: int, end_col: int | None = None, text: str = "") -> dict[str, Any]:
    end = col if end_col is None else end_col
    return {
        "range": {
            "start": {"line": line, "character": col},
            "end": {"line": line, "character": end},
        },
        "text": text,
    }


def test_a_word_typed_letter_by_letter_is_one_change() -> None:
    typed = [change(3, 10 + i, text=ch) for i, ch in enumerate("pool_size")]
    assert coalesce(typed) == [change(3, 10, text="pool_size")]


def test_a_backspace_over_the_last_letter_joins_the_word() -> None:
    keys = [change(0, 4, text="p"), change(0, 5, text="r"), change(0, 5, 6), change(0, 5, text="o")]
    assert coalesce(keys) == [change(0, 4, text="po")]


def test_typing_over_a_selection_keeps_the_selection_range() -> None:
    keys = [change(2, 0, 7, "u"), change(2, 1, text="r"), change(2, 2, text="l")]
    assert coalesce(keys) == [change(2, 0, 7, "url")]


def test_rangelength_of_the_first_change_stays_true() -> None:
    first = {**change(1, 2, 5, "a"), "rangeLength": 3}
    assert coalesce([first, change(1, 3, text="b")]) == [{**first, "text": "ab"}]


def test_changes_elsewhere_are_left_as_sent() -> None:
    keys = [change(0, 4, text="a"), change(0, 6, text="b"), change(1, 5, text="c")]
    assert coalesce(keys) == keys
    # a deletion after the typed text, not of its last letter
    keys = [change(0, 4, text="a"), change(0, 5, 6)]
    assert coalesce(keys) == keys


def test_columns_are_not_counted_across_text_that_is_not_plain_ascii() -> None:
    # a rocket is one column in UTF-32, two in UTF-16 and four in UTF-8: the next position
    # depends on the encoding, so nothing is joined to it
    for text in ("\U0001f680", "\u00e9", "\n", "a\r"):
        keys = [change(0, 4, text=text), change(0, 5, text="x"), change(0, 6, text="y")]
        assert coalesce(keys)[0] == change(0, 4, text=text)
        assert len(coalesce(keys)) == 2  # the plain letters after it still join each other
    # a letter typed after plain text joins; a non-ASCII one joins too, and ends the run
    keys = [change(0, 0, text="a"), change(0, 1, text="\u00e9"), change(0, 2, text="b")]
    assert coalesce(keys) == [change(0, 0, text="a\u00e9"), change(0, 2, text="b")]


def test_what_does_not_validate_is_left_for_lsprotocol_to_refuse() -> None:
    bad = [
        change(0, 4, text="a"),
        {"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 5}}},
        change(0, 5, text="b") | {"rangeLength": -1},
        change(0, 5, text="b") | {"extra": True},
        {"text": "whole"},
        {"range": {"start": {"line": 0, "character": 5.0}, "end": {"line": 0, "character": 5}}}
        | {"text": "c"},
        {"range": {"start": {"line": True, "character": 5}, "end": {"line": 0, "character": 5}}}
        | {"text": "c"},
    ]
    for item in bad[1:]:
        assert coalesce([bad[0], item]) == [bad[0], item]
    reversed_range = change(0, 9, 4, "a")  # end before start: the text goes in at column 4
    assert coalesce([reversed_range, change(0, 10, text="b")]) == [
        reversed_range,
        change(0, 10, text="b"),
    ]
