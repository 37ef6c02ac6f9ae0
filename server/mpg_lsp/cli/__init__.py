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

import os
import signal
import sys


def _interrupted_while_loading(signum: int, frame: object) -> None:
    """Ctrl-C before `main` runs (the command line is still importing): nothing has been
    touched yet, so stop at once, quietly (a traceback here would only alarm)."""
    raise SystemExit(130)


if os.path.basename(sys.argv[0]).startswith("mpg-lsp") and (
    signal.getsignal(signal.SIGINT) is signal.default_int_handler
):
    signal.signal(signal.SIGINT, _interrupted_while_loading)  # `main` puts Python's back

from mpg_lsp.cli.entry import main  # noqa: E402  (after the handler: imports take a while)

__all__ = ["main"]
