"""One settings model, read from ``.mpg-lsp.toml``, the editor, and defaults.

The project file wins (it is shared by the team), then the editor's settings, then defaults.
Keys are kebab-case in TOML and camelCase in editors (``pool-mode`` / ``poolMode``). A bad
value is reported as a ``Problem`` and its default is used; nothing here raises.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from mpg_lsp.records import field, record, replace

SEVERITIES = ("error", "warning", "information", "hint")


@record(frozen=True)
class Settings:
    enabled: bool | None = None  # None = auto: the project gate decides
    pool_mode: str = "transaction"
    select: frozenset[str] | None = None  # None = every rule
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    direct_env_vars: tuple[str, ...] = ("DIRECT_DATABASE_URL", "DATABASE_DIRECT_URL", "*_UNPOOLED*")
    pooled_env_vars: tuple[str, ...] = ("DATABASE_URL",)
    direct_pool_max: int = 6  # Fly's size for an Oban repo on Basic

    def is_direct_var(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.direct_env_vars)

    def is_pooled_var(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.pooled_env_vars)

    def rule_enabled(self, code: str) -> bool:
        """Codes or prefixes (``MPG2``, ``MPG2*``) in ``ignore`` and ``select``."""
        if any(code.startswith(p.rstrip("*")) for p in self.ignore):
            return False
        if self.select is None:
            return True
        return any(code.startswith(p.rstrip("*")) for p in self.select)


@record(frozen=True)
class Spec:
    name: str  # kebab-case, as in .mpg-lsp.toml
    camel: str  # as in editor settings
    description: str
    schema: dict[str, Any]


SPECS: tuple[Spec, ...] = (
    Spec(
        "enabled",
        "enabled",
        'Run the checks: "auto" when the project looks like Fly MPG (a Fly config and a Postgres '
        "repo, or MPG evidence), true always, false never.",
        {"type": ["string", "boolean"], "enum": ["auto", True, False], "default": "auto"},
    ),
    Spec(
        "pool-mode",
        "poolMode",
        'The PgBouncer pool mode of your MPG cluster. "session" turns off the rules that only '
        "matter in transaction mode.",
        {"type": "string", "enum": ["transaction", "session"], "default": "transaction"},
    ),
    Spec(
        "select",
        "select",
        'Only these rule codes (or prefixes such as "MPG2"). Empty: all.',
        {"type": "array", "items": {"type": "string"}, "default": []},
    ),
    Spec(
        "ignore",
        "ignore",
        "Rule codes (or prefixes) never reported.",
        {"type": "array", "items": {"type": "string"}, "default": []},
    ),
    Spec(
        "severity",
        "severity",
        "Severity per rule code: error, warning, information or hint.",
        {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": list(SEVERITIES)},
            "default": {},
        },
    ),
    Spec(
        "direct-env-vars",
        "directEnvVars",
        "Environment variable names (globs) that hold a direct, unpooled database URL.",
        {
            "type": "array",
            "items": {"type": "string"},
            "default": ["DIRECT_DATABASE_URL", "DATABASE_DIRECT_URL", "*_UNPOOLED*"],
        },
    ),
    Spec(
        "pooled-env-vars",
        "pooledEnvVars",
        "Environment variable names (globs) that hold the pooled (PgBouncer) database URL.",
        {"type": "array", "items": {"type": "string"}, "default": ["DATABASE_URL"]},
    ),
    Spec(
        "direct-pool-max",
        "directPoolMax",
        "Largest pool_size worth keeping on a repo that bypasses PgBouncer.",
        {"type": "integer", "minimum": 1, "default": 6},
    ),
)


@record(frozen=True)
class Problem:
    key: str
    message: str
    source: str


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _apply(settings: Settings, spec: Spec, value: Any) -> Settings | str:
    """The settings with one key set, or a message saying why the value is bad."""
    name = spec.name
    if name == "enabled":
        if value in ("auto", None):
            return replace(settings, enabled=None)
        if isinstance(value, bool):
            return replace(settings, enabled=value)
        if value in ("true", "false"):
            return replace(settings, enabled=value == "true")
        return 'must be "auto", true or false'
    if name == "pool-mode":
        if value in ("transaction", "session"):
            return replace(settings, pool_mode=value)
        return 'must be "transaction" or "session"'
    if name in ("select", "ignore"):
        codes = _strings(value)
        if codes is None:
            return "must be a list of rule codes"
        upper = frozenset(c.strip().upper() for c in codes if c.strip())
        if name == "select":
            return replace(settings, select=upper or None)
        return replace(settings, ignore=upper)
    if name == "severity":
        if not isinstance(value, Mapping):
            return "must be a table of CODE = severity"
        bad = {k: v for k, v in value.items() if v not in SEVERITIES}
        if bad:
            return f"unknown severity for {', '.join(map(str, bad))} (use {', '.join(SEVERITIES)})"
        return replace(settings, severity={str(k).upper(): str(v) for k, v in value.items()})
    if name in ("direct-env-vars", "pooled-env-vars"):
        names = _strings(value)
        if names is None or not names:
            return "must be a non-empty list of variable names"
        if name == "direct-env-vars":
            return replace(settings, direct_env_vars=names)
        return replace(settings, pooled_env_vars=names)
    if name == "direct-pool-max":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return replace(settings, direct_pool_max=value)
        return "must be a whole number of at least 1"
    return "is not a setting"  # pragma: no cover


_BY_NAME = {s.name: s for s in SPECS} | {s.camel: s for s in SPECS}


def apply_layer(
    settings: Settings, raw: Mapping[str, Any] | None, source: str
) -> tuple[Settings, list[Problem]]:
    """Lay one source's keys over ``settings``; unknown keys and bad values become problems."""
    problems: list[Problem] = []
    if not raw:
        return settings, problems
    if not isinstance(raw, Mapping):
        return settings, [Problem("", "settings must be a table/object", source)]
    for key, value in raw.items():
        spec = _BY_NAME.get(str(key))
        if spec is None:
            problems.append(Problem(str(key), f"unknown setting `{key}`", source))
            continue
        result = _apply(settings, spec, value)
        if isinstance(result, str):
            problems.append(Problem(spec.name, f"`{key}` {result}; using the default", source))
        else:
            settings = result
    return settings, problems


def resolve(
    editor: Mapping[str, Any] | None, project_file: Mapping[str, Any] | None
) -> tuple[Settings, list[Problem]]:
    settings, problems = apply_layer(Settings(), editor, "editor settings")
    settings, more = apply_layer(settings, project_file, ".mpg-lsp.toml")
    return settings, problems + more


def json_schema() -> dict[str, Any]:
    """The editor-facing schema (camelCase keys), which the VS Code extension mirrors."""
    return {
        "type": "object",
        "properties": {s.camel: {**s.schema, "description": s.description} for s in SPECS},
    }
