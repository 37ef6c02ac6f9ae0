"""URLs in configuration text: finding them, reading their parts (host, port, query, the
password's place), and recognising pooled and direct Postgres endpoints from them."""

from __future__ import annotations

import re

# Any URL in text: one pattern for every reader (compiled by `re` on first use and cached).
URL = r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+"
_DATABASE_SCHEMES = ("postgres://", "postgresql://", "ecto://")


def find_urls(text: str) -> list[str]:
    return re.findall(URL, text)


def is_url(text: str) -> bool:
    return re.fullmatch(URL, text) is not None


# (host suffix or marker, verdict). Sources: research/domain.md §a.2.
_POOLED_PORTS = {6432, 6543, 25061}


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


def url_password(url: str) -> tuple[str, str, int, int] | None:
    """``(user, password, start, end)`` of a URL's password (offsets in ``url``), if any.

    The userinfo ends at the last ``@`` of the URL: a password with an unescaped ``@`` or ``/``
    is then masked whole rather than cut short.
    """
    scheme_end = url.find("://")
    if scheme_end < 0:
        return None
    rest_start = scheme_end + 3
    at = url.rfind("@", rest_start)
    if at < 0:
        return None
    userinfo = url[rest_start:at]
    colon = userinfo.find(":")
    if colon < 0:
        return None
    return userinfo[:colon], userinfo[colon + 1 :], rest_start + colon + 1, at


def is_mpg_evidence(text: str) -> bool:
    """A literal that proves the project talks to Fly MPG or another transaction pooler."""
    if "flympg.net" in text:
        return True
    # a URL quoted in backticks (a doc comment) ends at the backtick
    urls = (url.split("`", 1)[0] for url in find_urls(text))
    return any(classify_url(url) == "pooled" for url in urls if url.startswith(_DATABASE_SCHEMES))


def query_params(url: str) -> list[tuple[str, str]]:
    """The query parameters of ``url`` in order, decoded as Ecto decodes them
    (``URI.query_decoder``: ``+`` is a space, ``%XX`` an escape)."""
    from urllib.parse import unquote_plus

    _, _, query = url.partition("?")
    query = query.split("#", 1)[0]
    out = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            out.append((unquote_plus(name), unquote_plus(value)))
    return out


def query_names(url: str) -> set[str]:
    return {name for name, _ in query_params(url)}


def without_params(url: str, names: set[str]) -> str:
    """``url`` with the query parameters ``names`` removed (the rest kept byte for byte)."""
    from urllib.parse import unquote_plus

    base, sep, query = url.partition("?")
    if not sep:
        return url
    kept = [p for p in query.split("&") if p and unquote_plus(p.split("=", 1)[0]) not in names]
    return base + ("?" + "&".join(kept) if kept else "")
