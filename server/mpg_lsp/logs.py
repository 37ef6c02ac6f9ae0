"""The engine's loggers, with ``logging`` imported only when there is something to log.

``mpg-lsp check`` logs only when something goes wrong (an unreadable file, a rule that failed),
and importing ``logging`` (with the ``traceback``, ``threading`` and ``string`` it pulls in)
was about 5 ms of the command's start-up. The language server has ``logging`` loaded already
(pygls uses it), so there this costs nothing.

    logger(__name__).warning("cannot read %s: %s", path, reason)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


def logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)``: the same logger, configured the same way."""
    import logging

    return logging.getLogger(name)
