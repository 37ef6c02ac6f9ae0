"""Recognising pooled and direct Postgres endpoints from literal URLs and hosts."""

from __future__ import annotations

import re

# (host suffix or marker, verdict). Sources: research/domain.md §a.2.
_POOLED_PORTS = {6432, 6543, 25061}
URL_RE = re.compile(r"(?:postgres(?:ql)?|ecto)://[^\s\"'`]+")


def classify_host(host: str, port: int | None = None) -> str:
    """``pooled``, ``direct`` or ``unknown`` for a database host (and port)."""
    host = host.lower().strip("[]")
    if host.endswith(".flympg.net"):
        if host.startswith("pgbouncer."):
            return "pooled"
        if host.startswith("direct."):
            return "direct"
        return "unknown"
    if host.endswith(".pooler.supabase.com"):
        return "pooled" if port == 6543 else "unknown"
    if host.endswith(".supabase.co"):
        return "pooled" if port == 6543 else "direct"
    if "-pooler." in host and host.endswith(".neon.tech"):
        return "pooled"
    if port in _POOLED_PORTS:
        return "pooled"
    return "unknown"


def split_url(url: str) -> tuple[str, int | None, dict[str, str]] | None:
    # Imported here: urllib.parse (and the ipaddress it imports) cost `check` ~3 ms of start-up,
    # and most projects hold no literal URL.
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, port, dict(parse_qsl(parts.query))


def classify_url(url: str) -> str:
    parsed = split_url(url)
    if parsed is None:
        return "unknown"
    host, port, _ = parsed
    return classify_host(host, port)


def mask(url: str) -> str:
    """The URL with its password replaced, safe to show anywhere."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1****@", url)


def is_mpg_evidence(text: str) -> bool:
    """A literal that proves the project talks to Fly MPG or another transaction pooler."""
    if "flympg.net" in text:
        return True
    return any(classify_url(url) == "pooled" for url in URL_RE.findall(text))
