"""The record classes behind the value model, facts and findings (mpg_lsp.records).

Records replace dataclasses for start-up speed, so they must mean what a dataclass means:
the incremental fact index relies on equality (a re-read form equal to the old one publishes
nothing), findings are hashed and copied with ``replace``, and wrong calls must fail loudly.
"""

from __future__ import annotations

import pytest
from mpg_lsp.records import FrozenRecordError, field, fields, record, replace


class Anchor:
    def __init__(self, start: int) -> None:
        self.start = start


@record(frozen=True)
class Span:
    anchor: Anchor = field(compare=False, repr=False)
    start: int
    end: int


@record(frozen=True)
class Value:
    span: Span
    text: str


@record(frozen=True)
class EnvRead(Value):
    var: str
    fallback: Value | None = None


@record
class Collected:
    name: str
    seen: list[str] = field(default_factory=list)
    count: int = 0


def test_equality_and_hash_ignore_fields_left_out_of_comparison() -> None:
    a = Span(Anchor(0), 1, 5)
    b = Span(Anchor(900), 1, 5)  # same text, the form moved
    assert a == b and hash(a) == hash(b)
    assert Span(Anchor(0), 1, 6) != a
    assert {a, b} == {a}


def test_equality_needs_the_same_class() -> None:
    span = Span(Anchor(0), 0, 3)
    assert Value(span, "x") != EnvRead(span, "x", "X")
    assert Value(span, "x") != ("x",)  # type: ignore[comparison-overlap]
    assert EnvRead(span, "x", "X") == EnvRead(span, "x", "X", None)


def test_frozen_records_refuse_assignment_and_deletion() -> None:
    value = Value(Span(Anchor(0), 0, 1), "x")
    with pytest.raises(FrozenRecordError):
        value.text = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del value.text
    assert value.text == "x"


def test_records_have_slots_only() -> None:
    value = EnvRead(Span(Anchor(0), 0, 1), "x", "X")
    assert not hasattr(value, "__dict__")
    with pytest.raises(AttributeError):
        object.__setattr__(value, "extra", 1)


def test_inherited_fields_come_first_and_defaults_fill_the_rest() -> None:
    span = Span(Anchor(0), 0, 1)
    assert [f.name for f in fields(EnvRead)] == ["span", "text", "var", "fallback"]
    read = EnvRead(span, 'System.get_env("X")', "X")
    assert read.fallback is None
    assert (
        EnvRead(span, "t", var="X")
        == EnvRead(span, "t", "X")
        == EnvRead(text="t", var="X", span=span)
    )


def test_default_factory_gives_each_record_its_own_value() -> None:
    one, two = Collected("a"), Collected("b")
    one.seen.append("x")
    assert two.seen == [] and one.seen == ["x"]
    assert Collected("c", count=3).count == 3


def test_mutable_records_are_unhashable_and_assignable() -> None:
    item = Collected("a")
    item.count += 1
    assert item.count == 1
    with pytest.raises(TypeError):
        hash(item)


def test_wrong_calls_fail_like_a_signature() -> None:
    span = Span(Anchor(0), 0, 1)
    with pytest.raises(TypeError, match="missing required argument 'var'"):
        EnvRead(span, "t")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        EnvRead(span, "t", "X", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'span'"):
        EnvRead(span, "t", "X", span=span)  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 4 arguments but 5 were given"):
        EnvRead(span, "t", "X", None, 1)  # type: ignore[call-arg]


def test_a_required_field_after_a_default_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="'b' without a default follows one with a default"):

        @record
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]


def test_replace_copies_with_changes() -> None:
    span = Span(Anchor(0), 0, 1)
    read = EnvRead(span, "t", "X")
    changed = replace(read, var="Y")
    assert changed == EnvRead(span, "t", "Y") and read.var == "X"
    assert replace(read) == read and replace(read) is not read
    with pytest.raises(TypeError):
        replace(read, nope=1)


def test_repr_shows_fields_except_hidden_ones() -> None:
    assert repr(Span(Anchor(7), 1, 2)) == "Span(start=1, end=2)"
    assert repr(Collected("a")) == "Collected(name='a', seen=[], count=0)"


def test_records_match_positional_patterns() -> None:
    span = Span(Anchor(0), 0, 1)
    match EnvRead(span, "t", "DATABASE_URL"):
        case EnvRead(_, _, var):
            assert var == "DATABASE_URL"
        case _:
            pytest.fail("EnvRead did not match its own positional pattern")
