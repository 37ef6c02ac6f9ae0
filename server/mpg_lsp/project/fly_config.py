"""Facts of a Fly config (``fly.toml``, ``fly.*.toml``, ``deploy/fly/*.toml``...): the app name,
the release command, ``[env]`` and ``[processes]``.

Positions come from the tree-sitter tree; values come from the TOML itself (tomllib/tomli), so
escapes and quoting are read exactly as flyctl reads them. The release command may be written
as a ``[deploy]`` table, a top-level dotted key (``deploy.release_command = ...``) or an inline
table (``deploy = { release_command = ... }``); ``[env]`` likewise, or as ``[[env]]`` tables,
which flyctl merges. A file that is not valid TOML yields only what its error-free subtrees say.
"""

from __future__ import annotations

import sys

from tree_sitter import Node

from mpg_lsp.logs import logger
from mpg_lsp.records import record
from mpg_lsp.syntax import toml as tm
from mpg_lsp.syntax.document import Document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


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


def _decode(literal: str) -> object | None:
    try:
        value: object = tomllib.loads(f"v = {literal}")["v"]
    except (tomllib.TOMLDecodeError, KeyError, RecursionError, ValueError):
        return None
    return value


def _scalar(table: str | None, pair: Node, key: Node, value: Node) -> TomlValue | None:
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
        (pair.start_byte, pair.end_byte),
        (key.start_byte, key.end_byte),
        (value.start_byte, value.end_byte),
        quote,
    )


def _collect(
    container: Node, prefix: list[str], found: dict[str, list[TomlValue]], depth: int = 0
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
            _collect(value, path, found, depth + 1)
            continue
        item = _scalar(".".join(path[:-1]) or None, pair, key, value)
        if item is not None:
            found.setdefault(".".join(path), []).append(item)


def _key_parts(key: Node) -> list[Node]:
    if key.type == tm.DOTTED_KEY:
        return [c for c in key.named_children if c.type in tm.KEY_KINDS]
    return [key]


def _table_path(table: Node) -> list[str]:
    header = next((c for c in table.named_children if c.type in tm.KEY_KINDS), None)
    return [tm.key_text(c) for c in _key_parts(header)] if header is not None else []


def read_fly(doc: Document) -> FlyFacts:
    text = doc.text.decode("utf-8", errors="replace")
    try:
        tomllib.loads(text)
        valid = True
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        valid = False
        logger(__name__).info("%s is not valid TOML; reading only its well-formed parts", doc.path)
    root = doc.tree.root_node
    found: dict[str, list[TomlValue]] = {}
    _collect(root, [], found)
    for node in root.named_children:
        if node.type not in (tm.TABLE, tm.TABLE_ARRAY) or node.has_error:
            continue
        path = _table_path(node)
        if path:
            _collect(node, path, found)
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
    return FlyFacts(
        apps[-1].value if apps else None, release, tuple(env), valid, text, tuple(processes)
    )
