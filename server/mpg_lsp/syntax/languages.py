"""The two tree-sitter grammars mpg-lsp reads, loaded once on first use."""

from __future__ import annotations

from enum import Enum
from functools import cache

from tree_sitter import Language, Parser


class Lang(str, Enum):
    ELIXIR = "elixir"
    TOML = "toml"


@cache
def language(lang: Lang) -> Language:
    if lang is Lang.ELIXIR:
        import tree_sitter_elixir

        return Language(tree_sitter_elixir.language())
    import tree_sitter_toml

    return Language(tree_sitter_toml.language())


def parser(lang: Lang) -> Parser:
    return Parser(language(lang))


def lang_for_path(path: str) -> Lang | None:
    """Which grammar reads this file, or None when mpg-lsp has nothing to say about it."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name.endswith((".exs", ".ex")) or name == "mix.lock":
        return Lang.ELIXIR
    if name.endswith(".toml"):
        return Lang.TOML
    return None
