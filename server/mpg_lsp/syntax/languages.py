"""The two tree-sitter grammars mpg-lsp reads, loaded once on first use."""

from __future__ import annotations

from enum import Enum
from functools import cache
from types import ModuleType

from tree_sitter import Language, Parser


class Lang(str, Enum):
    ELIXIR = "elixir"
    TOML = "toml"
    TEXT = "text"  # deploy files read as text: Dockerfile, shell scripts, Makefile, workflows


@cache
def language(lang: Lang) -> Language:
    if lang is not Lang.TOML:  # plain text documents keep an empty tree of this grammar
        import tree_sitter_elixir

        return Language(tree_sitter_elixir.language())
    return Language(_toml_binding().language())


def _toml_binding() -> ModuleType:
    """tree-sitter-toml's compiled grammar, loaded without running its package ``__init__``.

    That ``__init__`` imports ``importlib.resources`` (and with it tempfile, random, shutil,
    pathlib) to offer a highlights query mpg-lsp never reads: about 13 ms, a sixth of what
    ``mpg-lsp check`` takes on a small project. The extension module itself needs nothing from
    its package. Should the package be laid out differently, the plain import is used.
    """
    import importlib.util
    import os
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader

    spec = importlib.util.find_spec("tree_sitter_toml")  # finds the package, does not run it
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_binding" + suffix)
            if os.path.isfile(path):
                name = "tree_sitter_toml._binding"
                loader = ExtensionFileLoader(name, path)
                binding_spec = importlib.util.spec_from_file_location(name, path, loader=loader)
                if binding_spec is None:
                    break
                module = importlib.util.module_from_spec(binding_spec)
                loader.exec_module(module)
                return module
    import tree_sitter_toml

    return tree_sitter_toml


def parser(lang: Lang) -> Parser:
    return Parser(language(lang))


_DEPLOY_NAMES = {"Dockerfile", "Makefile", "makefile", "GNUmakefile", "justfile", "Justfile"}
_SCRIPT_FOLDERS = {"bin", "scripts"}


def lang_for_path(path: str) -> Lang | None:
    """Which grammar reads this file, or None when mpg-lsp has nothing to say about it.

    Deploy files (a Dockerfile, ``rel/`` scripts, ``bin/*``, ``scripts/*``, a Makefile or
    justfile, GitHub workflows) are plain text."""
    posix = path.replace("\\", "/")
    name = posix.rsplit("/", 1)[-1]
    if name.endswith((".exs", ".ex")) or name == "mix.lock":
        return Lang.ELIXIR
    if name.endswith(".toml"):
        return Lang.TOML
    if name in _DEPLOY_NAMES or name.startswith("Dockerfile.") or name.endswith(".dockerfile"):
        return Lang.TEXT
    parts = posix.split("/")
    if parts[-3:-1] == [".github", "workflows"] and name.endswith((".yml", ".yaml")):
        return Lang.TEXT
    parent = parts[-2] if len(parts) > 1 else ""
    if name.startswith("."):
        return None
    if parent in _SCRIPT_FOLDERS or (parent == "rel" and name.startswith("env.sh")):
        return Lang.TEXT
    return None
