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

from mpg_lsp.project.urls import find_urls, is_url, url_password
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
    words = [w for w in re.split(r"[^A-Z0-9]+", name.upper()) if w]
    if not words or _PUBLIC & set(words):
        return False
    if words[-1] in _DESCRIPTORS or "_".join(words[-2:]) in _DESCRIPTORS:
        return False
    return bool(_SECRET_WORDS & set(words)) or words[-1].endswith("KEY") or "PASS" in words


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
    if _PRIVATE_KEY.search(stripped) or _VENDOR_TOKEN.search(stripped):
        return Credential(None, False)
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
