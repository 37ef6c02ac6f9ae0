"""Tree-sitter queries, read from the ``.scm`` files under ``grammars/``.

``nodes.scm`` declares every node kind and field the readers rely on; compiling it against the
installed grammar (``check_grammar``) proves a grammar upgrade kept them. The readers walk the
tree in Python rather than run queries: compiling a query against tree-sitter-elixir costs
10-60 ms, more than reading a whole config file.

The grammar files ship inside the wheel as ``mpg_lsp/grammars``; in an editable install they
are read straight from the checkout's top-level ``grammars/`` folder.
"""

from __future__ import annotations

import os
from functools import cache

from tree_sitter import Query

from mpg_lsp.syntax.languages import Lang, language


def grammars_dir() -> str:
    from importlib import resources  # only when a query is compiled: it costs ~10 ms to import

    try:
        packaged = str(resources.files("mpg_lsp") / "grammars")
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        packaged = os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "grammars"
        )
    if os.path.isdir(os.path.join(packaged, "elixir")):
        return packaged
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))), "grammars")
    if os.path.isdir(os.path.join(checkout, "elixir")):
        return checkout
    raise FileNotFoundError(
        f"mpg-lsp's grammar queries are missing (looked in {packaged} and {checkout}); "
        "reinstall the package"
    )


@cache
def query(lang: Lang, name: str) -> Query:
    with open(os.path.join(grammars_dir(), lang.value, f"{name}.scm"), encoding="utf-8") as handle:
        source = handle.read()
    return Query(language(lang), source)
