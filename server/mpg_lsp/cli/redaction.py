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


# C0 and C1 controls (but tab), DEL, and the bidirectional overrides that reorder what a
# terminal shows (CVE-2021-42574, "Trojan Source"); compiled by `re` on first use
_UNPRINTABLE = r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters taken from project files or paths
    (an escape sequence could recolour, retitle or rewrite the terminal) shown as escapes,
    ``\\x1b``, ``\\u202e``."""
    if text.isprintable():
        return text

    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return re.sub(_UNPRINTABLE, escape, text)
