"""Facts of a Fly config (``fly.toml``, ``fly.*.toml``): the release command and ``[env]``.

Positions come from the tree-sitter tree; values come from the TOML itself (tomllib/tomli), so
escapes and quoting are read exactly as flyctl reads them. A file that is not valid TOML yields
only what its error-free subtrees say.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from tree_sitter import Node

from mpg_lsp.syntax import toml as tm
from mpg_lsp.syntax.document import Document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TomlString:
    """A string value with where it sits: the whole pair, the key, and the quoted literal."""

    table: str | None
    key: str
    value: str
    pair_range: tuple[int, int]
    key_range: tuple[int, int]
    value_range: tuple[int, int]
    quote: str  # '"', "'", '"""' or "'''"


@dataclass(frozen=True, slots=True)
class FlyFacts:
    release_command: TomlString | None
    env: tuple[TomlString, ...]
    valid: bool
    text: str


def _decode_string(literal: str) -> str | None:
    try:
        return tomllib.loads(f"v = {literal}")["v"]  # type: ignore[no-any-return]
    except (tomllib.TOMLDecodeError, KeyError, RecursionError):
        return None


def _strings(container: Node, table: str | None) -> list[TomlString]:
    out = []
    for pair in container.named_children:
        if pair.type != tm.PAIR or pair.has_error:
            continue
        parts = tm.pair_parts(pair)
        if parts is None:
            continue
        key, value = parts
        if value.type != tm.STRING:
            continue
        literal = tm.text(value)
        decoded = _decode_string(literal)
        if decoded is None:
            continue
        quote = literal[:3] if literal[:3] in ('"""', "'''") else literal[:1]
        out.append(
            TomlString(
                table,
                tm.key_text(key),
                decoded,
                (pair.start_byte, pair.end_byte),
                (key.start_byte, key.end_byte),
                (value.start_byte, value.end_byte),
                quote,
            )
        )
    return out


def read_fly(doc: Document) -> FlyFacts:
    text = doc.text.decode("utf-8", errors="replace")
    try:
        tomllib.loads(text)
        valid = True
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        valid = False
        log.info("%s is not valid TOML; reading only its well-formed parts", doc.path)
    root = doc.tree.root_node
    release: TomlString | None = None
    env: list[TomlString] = []
    for node in root.named_children:
        if node.type != tm.TABLE or node.has_error:
            continue
        name = tm.table_name(node)
        if name == "deploy":
            for item in _strings(node, name):
                if item.key == "release_command":
                    release = item
        elif name == "env":
            env.extend(_strings(node, name))
    return FlyFacts(release, tuple(env), valid, text)
