"""`mpg-lsp`: serve LSP on stdio (the default), or check and fix projects from a terminal, CI
or a pre-commit hook.

One module per step, as ``lsp/`` has for the server: ``entry`` (``main``) reads
``arguments`` and runs a command: ``check`` (projects from paths, a report per project),
``fix`` (through ``mpg_lsp.fixing``, written by ``writing``), ``rules``, ``explain``. The
command line's settings layer is ``configuration``. Each output format has its module
(``text``, ``json``, ``sarif``, ``github``, ``diff``); ``terminal`` knows colour, width and
progress.

The check path imports only the engine (tree-sitter and the rules), never pygls, json or
logging, so it starts fast. Exit codes: 0 nothing found, 1 findings (or, for `fix --diff`,
changes to make), 2 an error (a bad path or flag, a file that cannot be written, a crash).
"""

from __future__ import annotations

from mpg_lsp.cli.entry import main

__all__ = ["main"]
