"""Secrets in configuration text: which names and values hold one, and how to show a URL
without its password.

A value counts as a secret when it is a URL with a password, a private key or a vendor token,
or when its name says it holds one (``..._SECRET``, ``..._PASSWORD``, ``..._KEY``) and its value
is neither a reference (``$VAR``), a flag, a path nor a URL. A name whose last word describes a
secret (``..._KEY_PATH``, ``..._TOKEN_TTL``) does not hold one. A placeholder (``changeme``,
``<your-token>``) is still reported, more gently, by the rule that reads it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mpg_lsp.project.urls import URL, find_urls, is_url, url_password
from mpg_lsp.records import record

_SECRET_WORDS = {
    "COOKIE",
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PWD",
    "CREDENTIAL",
    "CREDENTIALS",
}
# A last word that says the value describes a secret rather than holds one.
_DESCRIPTORS = {
    "PATH",
    "FILE",
    "DIR",
    "NAME",
    "DOMAIN",
    "TTL",
    "ID",
    "URL",
    "URI",
    "HOST",
    "PORT",
    "ENABLED",
    "HEADER",
    "LENGTH",
    "LEN",
    "SIZE",
    "AGE",
    "EXPIRY",
    "EXPIRES",
    "TIMEOUT",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "FORMAT",
    "TYPE",
    "MODE",
    "ALGORITHM",
    "ALG",
    "VERSION",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "ENDPOINT",
    "REGION",
    "SALT_PATH",
    "FIELD",
    "PARAM",
    "KEY_ID",
}
_PUBLIC = {"PUBLIC", "PUBLISHABLE", "PUB"}
# A pattern string, compiled by `re` on first use and cached there: only values that look
# like secrets get this far, and compiling it up front cost every run half a millisecond.
_PLACEHOLDER = (
    r"change[-_ ]?(?:me|it|this)|placeholder|example|dummy|replace|your[-_ ]|^my[-_]|"
    r"xxx|todo|fixme|"
    r"^<.*>$|^\{\{.*\}\}$|^(?:secret|password|passw0rd|pass|cookie|token|key|test|none|null|nil|foo|bar|"
    r"postgres|admin|root|default|\*+|x+|\.+)$"
)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?=+][^}]*)?\}?$")
_FLAGLIKE = re.compile(r"^(?:true|false|yes|no|on|off|-?\d+(?:\.\d+)?)$", re.IGNORECASE)
_VENDOR_TOKEN = re.compile(
    r"\b(?:sk_live_|rk_live_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abpr]-|AKIA[0-9A-Z]{16}|SG\.)[A-Za-z0-9_.-]{8,}"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@record(frozen=True)
class Credential:
    url: str | None  # the URL holding a password, when that is the kind of secret
    placeholder: bool


def masked(url: str) -> str:
    """The URL with its password (and secret-looking query values) replaced by ``****``."""
    found = url_password(url)
    if found is not None:
        _, password, start, end = found
        if password:
            url = url[:start] + "****" + url[end:]
    base, sep, query = url.partition("?")
    if sep:
        parts = []
        for part in query.split("&"):
            name, eq, value = part.partition("=")
            if eq and value and secret_name(name.upper()):
                value = "****"
            parts.append(f"{name}{eq}{value}")
        url = base + sep + "&".join(parts)
    return url


def secret_name(name: str) -> bool:
    """Whether a name (of a variable, a setting, a URL or DSN parameter) says its value is a
    secret: ``..._SECRET``, ``PGPASSWORD``, ``sslpassword``, ``..._KEY``."""
    words = [w for w in re.split(r"[^A-Z0-9]+", name.upper()) if w]
    if not words or _PUBLIC & set(words):
        return False
    if words[-1] in _DESCRIPTORS or "_".join(words[-2:]) in _DESCRIPTORS:
        return False
    return (
        bool(_SECRET_WORDS & set(words)) or words[-1].endswith(_SECRET_ENDINGS) or "PASS" in words
    )


_SECRET_ENDINGS = ("KEY", "PASSWORD", "PASSWD", "SECRET", "TOKEN")
# `name=value`, `name = "value"`, `name: "value"`, `"name" => "value"` in any text: a DSN
# (`host=h password=p`), a shell line (`PGPASSWORD=p psql`), TOML, Elixir keywords and maps.
_ASSIGNED = (
    r"(?<![\w.\-])([A-Za-z_][A-Za-z0-9_]*)(\"?\s*(?:=>|=|:)\s*)"
    r"(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s\"',;&()\[\]{}]+)"
)


def _secret_value(value: str) -> bool:
    """A value worth hiding: not empty, a reference, a flag, a path, a URL or a call."""
    return not (
        not value
        or _REFERENCE.match(value)
        or _FLAGLIKE.match(value)
        or value.startswith(("/", "./", "../", "~/", "****", "$"))
        or is_url(value)
        or "(" in value
        or value[:1].isupper()
        and "." in value  # an Elixir module or call: System.get_env
    )


def assigned_secrets(text: str) -> list[tuple[int, int]]:
    """Where ``text`` assigns a secret to a secret-looking name (byte-free: string offsets of
    each value, inside its quotes)."""
    spans = []
    for m in re.finditer(_ASSIGNED, text):
        name, value = m.group(1), m.group(3)
        quoted = value[:1] in "\"'" and len(value) >= 2
        inner = value[1:-1] if quoted else value
        if secret_name(name) and _secret_value(inner):
            start = m.start(3) + (1 if quoted else 0)
            spans.append((start, start + len(inner)))
    return spans


def mask_secrets(text: str) -> str:
    """``text`` with every secret it shows replaced by ``****``: URL passwords and secret
    query values, and values assigned to secret names (``password=…``, ``PGPASSWORD=…``,
    ``DB_PASSWORD = "…"``, ``password: "…"``)."""
    text = re.sub(URL, lambda m: masked(m.group()), text)
    for start, end in reversed(assigned_secrets(text)):
        text = text[:start] + "****" + text[end:]
    return text


@lru_cache(maxsize=4096)  # every [env] value is judged again on every keystroke in fly.toml
def credential(name: str, value: str) -> Credential | None:
    """Whether an ``[env]`` value is a secret, and whether it is only a placeholder for one."""
    stripped = value.strip()
    for url in find_urls(stripped):
        found = url_password(url)
        if found is not None and found[1]:
            password = found[1]
            if _REFERENCE.match(password):
                continue  # `$PW` inside [env] is not expanded: broken, but not a secret
            return Credential(url, bool(re.search(_PLACEHOLDER, password, re.IGNORECASE)))
        if masked(url) != url:  # a secret query value: sslpassword=
            query = url.partition("?")[2]
            return Credential(url, bool(re.search(_PLACEHOLDER, query, re.IGNORECASE)))
    if _PRIVATE_KEY.search(stripped) or _VENDOR_TOKEN.search(stripped):
        return Credential(None, False)
    spans = assigned_secrets(stripped)  # a DSN's password=, a command's PGPASSWORD=
    if spans:
        values = " ".join(stripped[a:b] for a, b in spans)
        return Credential(None, bool(re.search(_PLACEHOLDER, values, re.IGNORECASE)))
    if not secret_name(name):
        return None
    if (
        not stripped
        or _REFERENCE.match(stripped)
        or _FLAGLIKE.match(stripped)
        or stripped.startswith(("/", "./", "../", "~/"))
        or is_url(stripped)
    ):
        return None
    return Credential(None, bool(re.search(_PLACEHOLDER, stripped, re.IGNORECASE)))
