"""Tree-sitter queries, read from the ``.scm`` files under ``grammars/``.

``nodes.scm`` declares every node kind and field the readers rely on; compiling it against the
installed grammar (``check_grammar``) proves a grammar upgrade kept them. The readers walk the
tree in Python rather than run queries: compiling a query against tree-sitter-elixir costs
10-60 ms, more than reading a whole config file.

The grammar files ship inside the wheel as ``mpg_lsp/grammars``; in an editable install they
are read straight from the checkout's top-level ``grammars/`` folder.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from tree_sitter import Query

from mpg_lsp.syntax.languages import Lang, language


def grammars_dir() -> Path:
    try:
        packaged = Path(str(resources.files("mpg_lsp") / "grammars"))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        packaged = Path(__file__).resolve().parent.parent / "grammars"
    if (packaged / "elixir").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "grammars"
    if (checkout / "elixir").is_dir():
        return checkout
    raise FileNotFoundError(
        f"mpg-lsp's grammar queries are missing (looked in {packaged} and {checkout}); "
        "reinstall the package"
    )


@cache
def query(lang: Lang, name: str) -> Query:
    source = (grammars_dir() / lang.value / f"{name}.scm").read_text(encoding="utf-8")
    return Query(language(lang), source)
