"""What machine output must not quote: a fix whose edits carry a password."""

from __future__ import annotations

import re

from mpg_lsp.rules.base import Fix

_URL = r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+"  # compiled on first use, by `re`


def carries_secret(fix: Fix) -> bool:
    """Whether an edit's text holds a URL with a password (a fix that rewrites a literal
    database URL): machine output leaves such a fix's edits out rather than print it."""
    from mpg_lsp.project.secrets import masked

    return any(masked(url) != url for edit in fix.edits for url in re.findall(_URL, edit.text))
