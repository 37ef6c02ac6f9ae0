"""Facts of a Fly config (``fly.toml``, ``fly.*.toml``, ``deploy/fly/*.toml``...): the app name,
the release command, ``[env]`` and ``[processes]``.

Positions come from the tree-sitter tree; values come from the TOML itself (tomllib/tomli), so
escapes and quoting are read exactly as flyctl reads them. The release command may be written
as a ``[deploy]`` table, a top-level dotted key (``deploy.release_command = ...``) or an inline
table (``deploy = { release_command = ... }``); ``[env]`` likewise, or as ``[[env]]`` tables,
which flyctl merges. A file that is not valid TOML yields only what its error-free subtrees say.
"""

from __future__ import annotations

import re
import sys
import weakref

from tree_sitter import Node

from mpg_lsp.logs import logger
from mpg_lsp.project.urls import is_mpg_evidence
from mpg_lsp.records import record
from mpg_lsp.syntax import toml as tm
from mpg_lsp.syntax.document import ByteEdit, Document, map_offset
from mpg_lsp.syntax.nodes import span_to_reread
from mpg_lsp.syntax.shifts import Shifts, carry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


VAR_TOKEN = re.compile(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b")  # an env-var-like name
# the tables whose values FlyFacts holds
_WANTED = ("deploy.", "env.", "processes.", "http_service.")


@record(frozen=True)
class TomlValue:
    """A scalar value with where it sits: the whole pair, the key, and the literal.

    ``value`` is what flyctl sees: strings as decoded, other scalars rendered like Go's
    ``fmt.Sprintf("%v")`` (flyctl turns non-string ``[env]`` values into strings that way).
    """

    table: str | None
    key: str  # the last part of a dotted key: `env.PORT = 1` has key "PORT"
    value: str
    pair_range: tuple[int, int]
    key_range: tuple[int, int]
    value_range: tuple[int, int]
    quote: str  # '"', "'", '"""' or "'''"; "" when the value is not a string

    @property
    def is_string(self) -> bool:
        return bool(self.quote)


@record(frozen=True)
class FlyFacts:
    app: str | None
    release_command: TomlValue | None  # only a string: anything else is not a command
    env: tuple[TomlValue, ...]
    valid: bool
    text: str
    processes: tuple[TomlValue, ...] = ()  # `[processes]`: group name (key) -> its command
    names: frozenset[str] = frozenset()  # env-var-like names the file mentions
    evidence: bool = False  # a literal that proves MPG or another pooler (is_mpg_evidence)
    min_machines_running: int | None = None  # `[http_service]`, for the `app` process group
    strategy: str | None = None  # `[deploy] strategy` ("bluegreen", "rolling", ...)


def _go_text(value: object) -> str | None:
    """How flyctl's ``fmt.Sprintf("%v", v)`` renders a TOML scalar, or None for tables/arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return None


_BARE_STRING = re.compile(r'"[^"\\\x00-\x1f\x7f]*"|\'[^\'\x00-\x1f\x7f]*\'')
_INTEGER = re.compile(r"[+-]?(?:0|[1-9](?:_?[0-9])*)")


def _decode(literal: str) -> object | None:
    # the common literals directly: one tomllib.loads per value was most of a big file's read
    if _BARE_STRING.fullmatch(literal):
        return literal[1:-1]
    if _INTEGER.fullmatch(literal):
        return int(literal.replace("_", ""))
    if literal in ("true", "false"):
        return literal == "true"
    try:
        value: object = tomllib.loads(f"v = {literal}")["v"]
    except (tomllib.TOMLDecodeError, KeyError, RecursionError, ValueError):
        return None
    return value


def _scalar(table: str | None, pair: Node, key: Node, value: Node, base: int) -> TomlValue | None:
    """The value of ``pair``, its ranges counted from ``base``."""
    literal = tm.text(value)
    text = _go_text(_decode(literal))
    if text is None:
        return None
    quote = ""
    if value.type == tm.STRING:
        quote = literal[:3] if literal[:3] in ('"""', "'''") else literal[:1]
    return TomlValue(
        table,
        tm.key_text(key).rsplit(".", 1)[-1],
        text,
        (pair.start_byte - base, pair.end_byte - base),
        (key.start_byte - base, key.end_byte - base),
        (value.start_byte - base, value.end_byte - base),
        quote,
    )


def _collect(
    container: Node,
    prefix: list[str],
    found: list[tuple[str, TomlValue]],
    base: int,
    depth: int = 0,
) -> None:
    """Every scalar under ``container`` by its full dotted name (``deploy.release_command``),
    following dotted keys and inline tables."""
    if depth > 8:
        return
    for pair in container.named_children:
        if pair.type != tm.PAIR or pair.has_error:
            continue
        parts = tm.pair_parts(pair)
        if parts is None:
            continue
        key, value = parts
        path = [*prefix, *(tm.key_text(c) for c in _key_parts(key))]
        if value.type == tm.INLINE_TABLE:
            _collect(value, path, found, base, depth + 1)
            continue
        item = _scalar(".".join(path[:-1]) or None, pair, key, value, base)
        if item is not None:
            found.append((".".join(path), item))


def _key_parts(key: Node) -> list[Node]:
    if key.type == tm.DOTTED_KEY:
        return [c for c in key.named_children if c.type in tm.KEY_KINDS]
    return [key]


def _table_path(table: Node) -> list[str]:
    header = next((c for c in table.named_children if c.type in tm.KEY_KINDS), None)
    return [tm.key_text(c) for c in _key_parts(header)] if header is not None else []


@record(frozen=True)
class _Chunk:
    """What one top-level node (a table, or a pair outside any table) says: the values FlyFacts
    holds, with ranges counted from the node's start, and what its text mentions."""

    values: tuple[tuple[str, TomlValue], ...]
    valid: bool
    names: frozenset[str]
    evidence: bool


def _read_chunk(node: Node) -> _Chunk:
    found: list[tuple[str, TomlValue]] = []
    base = node.start_byte
    if node.type == tm.PAIR:
        _collect_one(node, found, base)
    elif node.type in (tm.TABLE, tm.TABLE_ARRAY) and not node.has_error:
        path = _table_path(node)
        if path:
            _collect(node, path, found, base)
    text = tm.text(node)
    wanted = tuple((name, v) for name, v in found if name == "app" or name.startswith(_WANTED))
    # flyctl reads the tables mpg-lsp reads; the rest only has to parse
    valid = not node.has_error
    if valid and wanted:
        try:
            tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError, ValueError):
            valid = False
    return _Chunk(wanted, valid, frozenset(VAR_TOKEN.findall(text)), is_mpg_evidence(text))


def _collect_one(pair: Node, found: list[tuple[str, TomlValue]], base: int) -> None:
    if pair.has_error:
        return
    parts = tm.pair_parts(pair)
    if parts is None:
        return
    key, value = parts
    path = [tm.key_text(c) for c in _key_parts(key)]
    if value.type == tm.INLINE_TABLE:
        _collect(value, path, found, base, 1)
        return
    item = _scalar(".".join(path[:-1]) or None, pair, key, value, base)
    if item is not None:
        found.append((".".join(path), item))


def _moved(value: TomlValue, by: int) -> TomlValue:
    return TomlValue(
        value.table,
        value.key,
        value.value,
        (value.pair_range[0] + by, value.pair_range[1] + by),
        (value.key_range[0] + by, value.key_range[1] + by),
        (value.value_range[0] + by, value.value_range[1] + by),
        value.quote,
    )


class _Slot:
    """A top-level node where it is now, and its chunk placed there (built when it moved)."""

    __slots__ = ("start", "end", "chunk", "placed_at", "placed")

    def __init__(self, node: Node) -> None:
        self.start = node.start_byte
        self.end = node.end_byte
        self.chunk = _read_chunk(node)
        self.placed_at = -1
        self.placed: tuple[tuple[str, TomlValue], ...] = ()

    def values(self) -> tuple[tuple[str, TomlValue], ...]:
        if self.placed_at != self.start:
            self.placed = tuple((n, _moved(v, self.start)) for n, v in self.chunk.values)
            self.placed_at = self.start
        return self.placed


class _Reading:
    """A document's slots, kept up to date edit by edit: an edit re-reads only the top-level
    tables it touched (a 10,000-line fly.toml used to be read whole on every keystroke)."""

    def __init__(self) -> None:
        self.slots: list[_Slot] = []
        self.revision: int | None = None
        self.parses = 0

    def refresh(self, doc: Document) -> None:
        reset, edits = doc.take_edits()
        stale = (
            reset
            or self.revision is None
            or doc.revision != self.revision + sum(e.count for e in edits)
            or (edits and doc.parses != self.parses + 1)
        )
        self.revision, self.parses = doc.revision, doc.parses
        root = doc.tree.root_node
        if stale or (edits and not self._update(doc, root, edits)):
            self.slots = [_Slot(node) for node in root.named_children]

    def _update(self, doc: Document, root: Node, edits: list[ByteEdit]) -> bool:
        """Re-read the slots the edits touched; False when the tree no longer lines up."""
        slots = self.slots
        lo = hi = -1
        moved = Shifts(len(slots))  # every later slot moves with an edit: written once below
        for edit in edits:
            if lo >= 0:
                lo, hi = map_offset(lo, edit), map_offset(hi, edit)
            lo = edit.start if lo < 0 else min(lo, edit.start)
            hi = max(hi, edit.new_end)
            for start, end in carry(slots, edit, moved):
                lo, hi = min(lo, start), max(hi, end)
        for first, stop, delta in moved.runs():
            for slot in slots[first:stop]:
                slot.start += delta
                slot.end += delta
        span = span_to_reread(doc, slots, lambda s: s.start, lambda s: s.end, lo, hi)
        if span is None:
            return False
        first, last, nodes = span
        slots[first:last] = [_Slot(node) for node in nodes]
        return True


_readings: weakref.WeakKeyDictionary[Document, _Reading] = weakref.WeakKeyDictionary()


def read_fly(doc: Document) -> FlyFacts:
    reading = _readings.get(doc)
    if reading is None:
        reading = _readings[doc] = _Reading()
    reading.refresh(doc)
    found: dict[str, list[TomlValue]] = {}
    valid = True
    names: set[str] = set()
    evidence = False
    for slot in reading.slots:
        chunk = slot.chunk
        if chunk.values:
            for name, value in slot.values():
                found.setdefault(name, []).append(value)
        valid = valid and chunk.valid
        names |= chunk.names
        evidence = evidence or chunk.evidence
    text = doc.text.decode("utf-8", errors="replace")
    if not valid:
        logger(__name__).info("%s is not valid TOML; reading only its well-formed parts", doc.path)
    apps = found.get("app", [])
    release = next(
        (v for v in reversed(found.get("deploy.release_command", [])) if v.is_string), None
    )
    env = [
        v
        for name, values in found.items()
        if name.startswith("env.") and name.count(".") == 1
        for v in values
    ]
    env.sort(key=lambda v: v.pair_range)
    processes = [
        v
        for name, values in found.items()
        if name.startswith("processes.") and name.count(".") == 1
        for v in values
        if v.is_string
    ]
    processes.sort(key=lambda v: v.pair_range)
    minimum = found.get("http_service.min_machines_running", [])
    strategy = found.get("deploy.strategy", [])
    return FlyFacts(
        apps[-1].value if apps else None,
        release,
        tuple(env),
        valid,
        text,
        tuple(processes),
        frozenset(names),
        evidence,
        int(minimum[-1].value) if minimum and minimum[-1].value.isdigit() else None,
        strategy[-1].value if strategy and strategy[-1].is_string else None,
    )
