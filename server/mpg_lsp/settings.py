"""One settings model, read from ``.mpg-lsp.toml``, the editor, and defaults.

The project file wins (it is shared by the team), then the editor's settings, then defaults.
Keys are kebab-case in TOML and camelCase in editors (``pool-mode`` / ``poolMode``). A bad
value is reported as a ``Problem`` and its default is used; nothing here raises.

Every setting is declared once, in ``SPECS``: its name, default, JSON schema, how a value is
read and checked, and its documentation. The parser (``apply_layer``), the editor schema
(``mpg-lsp settings-schema``), VS Code's ``contributes.configuration`` (``vscode_settings``,
compared with clients/vscode/package.json by a test) and the README's example
(``toml_example``, compared likewise) are all made from it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from mpg_lsp.records import field, record, replace

SEVERITIES = ("error", "warning", "information", "hint")


class Invalid(ValueError):
    """A value a setting does not accept; the message says what it must be."""


# -- how values are read --------------------------------------------------------------------


def _enabled(value: Any) -> bool | None:
    if value in ("auto", None):
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise Invalid('must be "auto", true or false')


def _pool_mode(value: Any) -> str:
    if value in ("transaction", "session"):
        return str(value)
    raise Invalid('must be "transaction" or "session"')


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _codes(value: Any) -> frozenset[str]:
    codes = _strings(value)
    if codes is None:
        raise Invalid("must be a list of rule codes")
    return frozenset(c.strip().upper() for c in codes if c.strip())


def _select(value: Any) -> frozenset[str] | None:
    return _codes(value) or None  # empty: every rule


def _severity(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise Invalid("must be a table of CODE = severity")
    bad = {k: v for k, v in value.items() if v not in SEVERITIES}
    if bad:
        raise Invalid(
            f"unknown severity for {', '.join(map(str, bad))} (use {', '.join(SEVERITIES)})"
        )
    return {str(k).upper(): str(v) for k, v in value.items()}


def _variable_names(value: Any) -> tuple[str, ...]:
    names = _strings(value)
    if not names:
        raise Invalid("must be a non-empty list of variable names")
    return names


def _pool_max(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise Invalid("must be a whole number of at least 1")


# Fly's MPG plans, in its connection-limit table (client / database connections).
PLANS = ("basic", "starter", "launch", "scale", "performance")


def _plan(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in PLANS:
        return value.strip().lower()
    raise Invalid(f"must be one of {', '.join(PLANS)}")


def _machine_count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _machines(value: Any) -> int | dict[str, int] | None:
    """One number for every process group, or a table per group; empty: not set."""
    count = _machine_count(value)
    if count is not None:
        return count
    if isinstance(value, Mapping):
        counts = {str(k): _machine_count(v) for k, v in value.items()}
        if all(c is not None for c in counts.values()):
            return {k: c for k, c in counts.items() if c is not None} or None
    raise Invalid("must be a whole number of Machines, or a table of them per process group")


def _scope(value: Any) -> str:
    if value in ("project", "open"):
        return str(value)
    raise Invalid('must be "project" or "open"')


# -- the table ------------------------------------------------------------------------------


@record(frozen=True)
class Spec:
    name: str  # kebab-case, as in .mpg-lsp.toml
    attribute: str  # the field of Settings it sets
    default: Any  # as written in TOML and JSON
    schema: dict[str, Any]  # the JSON schema of a value (default and description are added)
    read: Callable[[Any], Any]  # a value -> the field's value; raises Invalid
    description: str  # Markdown, for editors and the schema
    example: str  # the README's line: a TOML value and a comment
    enum_descriptions: tuple[str, ...] = ()

    @property
    def camel(self) -> str:
        """As in editor settings: ``pool-mode`` -> ``poolMode``."""
        head, *rest = self.name.split("-")
        return head + "".join(word.capitalize() for word in rest)


_CODES_SCHEMA: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_DIRECT_VARS = ["DIRECT_DATABASE_URL", "DATABASE_DIRECT_URL", "*_UNPOOLED*"]

SPECS: tuple[Spec, ...] = (
    Spec(
        "enabled",
        "enabled",
        "auto",
        {"type": ["string", "boolean"], "enum": ["auto", True, False]},
        _enabled,
        'Whether mpg-lsp checks this project: "auto" when it looks like Fly MPG (a Fly config '
        "and a Postgres repo, or MPG evidence), `true` always, `false` never.",
        '"auto"            # true: always check; false: never',
        (
            "Check only projects that look like they run on Fly.io Managed Postgres (a Fly "
            "config plus a Postgres repo).",
            "Always check.",
            "Never check.",
        ),
    ),
    Spec(
        "pool-mode",
        "pool_mode",
        "transaction",
        {"type": "string", "enum": ["transaction", "session"]},
        _pool_mode,
        "How the pooler in front of the database hands out connections: the PgBouncer pool "
        'mode of your MPG cluster. "session" turns off the rules that only matter in '
        "transaction mode.",
        '"transaction"   # "session" turns off the transaction-mode-only rules',
        (
            "PgBouncer in transaction mode, what Fly.io Managed Postgres uses: named prepared "
            "statements, LISTEN/NOTIFY and session state do not survive.",
            "PgBouncer in session mode: a client keeps its server connection, so "
            "transaction-mode rules are off.",
        ),
    ),
    Spec(
        "select",
        "select",
        [],
        _CODES_SCHEMA,
        _select,
        "Check only these rule codes or code prefixes (for example `MPG1`). Leave empty to run "
        "every rule.",
        "[]                 # empty: every rule",
    ),
    Spec(
        "ignore",
        "ignore",
        [],
        _CODES_SCHEMA,
        _codes,
        "Rule codes or code prefixes that are never reported (for example `MPG301`).",
        '["MPG202"]',
    ),
    Spec(
        "severity",
        "severity",
        {},
        {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": list(SEVERITIES)},
        },
        _severity,
        "Severity per rule code, overriding the rule's own, for example "
        '`{"MPG301": "error"}`: error, warning, information or hint.',
        '{ MPG301 = "error" }',
    ),
    Spec(
        "direct-env-vars",
        "direct_env_vars",
        _DIRECT_VARS,
        {"type": "array", "items": {"type": "string"}},
        _variable_names,
        "Names of environment variables (globs allowed) whose URL reaches Postgres directly, "
        "bypassing PgBouncer. A repo configured from one of these is treated as a direct "
        "connection.",
        '["DIRECT_DATABASE_URL", "DATABASE_DIRECT_URL", "*_UNPOOLED*"]',
    ),
    Spec(
        "pooled-env-vars",
        "pooled_env_vars",
        ["DATABASE_URL"],
        {"type": "array", "items": {"type": "string"}},
        _variable_names,
        "Names of environment variables (globs allowed) whose URL goes through PgBouncer. A "
        "repo configured from one of these gets the transaction-mode checks.",
        '["DATABASE_URL"]',
    ),
    Spec(
        "direct-pool-max",
        "direct_pool_max",
        6,  # Fly's size for an Oban repo on Basic
        {"type": "integer", "minimum": 1},
        _pool_max,
        "The biggest pool_size that still makes sense for a repo that connects directly "
        "instead of through PgBouncer.",
        "6",
    ),
    Spec(
        "mpg-plan",
        "mpg_plan",
        "basic",
        {"type": "string", "enum": list(PLANS)},
        _plan,
        "Your MPG cluster's plan, for the connection budget (MPG309): its client and database "
        "connection limits. `fly launch` creates Basic.",
        '"basic"         # starter, launch, scale or performance: the connection limits',
        (
            "Basic: 200 client connections, 50 database connections.",
            "Starter: 200 client connections, 50 database connections.",
            "Launch: 500 client connections, 150 database connections.",
            "Scale: 1000 client connections, 300 database connections.",
            "Performance: 1000 client connections, 300 database connections.",
        ),
    ),
    Spec(
        "machines",
        "machines",
        {},
        {
            "type": ["integer", "object"],
            "minimum": 0,
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        _machines,
        "How many Machines run the app, for the connection budget (MPG309): one number for "
        "every process group, or a table per group (`{ app = 3, worker = 1 }`). Not set: "
        "`min_machines_running` where fly.toml gives it (at least 2), else 2 per group, "
        "what `fly deploy` creates.",
        "{ app = 3, worker = 1 }  # or one number for every process group",
    ),
    Spec(
        "diagnostics-scope",
        "diagnostics_scope",
        "project",
        {"type": "string", "enum": ["project", "open"]},
        _scope,
        "Which files the editor shows problems for: every file of each project that has a file "
        'open or is in a workspace folder ("project"), or only the open files ("open").',
        '"project"  # "open": only the open files\' problems',
        (
            "Every file of the project: the Problems panel lists fly.toml's and config.exs's "
            "problems as soon as one file of the project is open.",
            "Only the files open in the editor.",
        ),
    ),
)

_BY_NAME = {s.name: s for s in SPECS} | {s.camel: s for s in SPECS}
_DEFAULTS: dict[str, Any] = {s.attribute: s.read(s.default) for s in SPECS}


# -- the model ------------------------------------------------------------------------------


@record(frozen=True)
class Settings:
    """What the rules read. Defaults come from ``SPECS``."""

    enabled: bool | None = _DEFAULTS["enabled"]  # None = auto: the project gate decides
    pool_mode: str = _DEFAULTS["pool_mode"]
    select: frozenset[str] | None = _DEFAULTS["select"]  # None = every rule
    ignore: frozenset[str] = _DEFAULTS["ignore"]
    severity: Mapping[str, str] = field(default_factory=dict)
    direct_env_vars: tuple[str, ...] = _DEFAULTS["direct_env_vars"]
    pooled_env_vars: tuple[str, ...] = _DEFAULTS["pooled_env_vars"]
    direct_pool_max: int = _DEFAULTS["direct_pool_max"]
    mpg_plan: str = _DEFAULTS["mpg_plan"]
    machines: int | Mapping[str, int] | None = _DEFAULTS["machines"]  # None: from fly config
    diagnostics_scope: str = _DEFAULTS["diagnostics_scope"]  # an editor's concern: project|open

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
class Problem:
    key: str
    message: str
    source: str
    fatal: bool = False  # the whole file could not be read (not TOML): nothing of it applies
    line: int | None = None  # where (0-based) a file that is not TOML stops being TOML


def _did_you_mean(key: str, source: str) -> str:
    """`` (did you mean `ignore`?)`` for ``ignroe`` or ``pool_mode``, in the spelling of the
    source (camelCase for editors)."""
    import difflib  # only for a mistake

    def plain(name: str) -> str:
        return name.replace("-", "").replace("_", "").lower()

    spell = {plain(s.name): (s.camel if source == "editor settings" else s.name) for s in SPECS}
    close = difflib.get_close_matches(plain(key), list(spell), n=1, cutoff=0.6)
    return f"; did you mean `{spell[close[0]]}`?" if close else ""


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
            hint = _did_you_mean(str(key), source)
            problems.append(Problem(str(key), f"unknown setting `{key}`{hint}", source))
            continue
        try:
            settings = replace(settings, **{spec.attribute: spec.read(value)})
        except Invalid as err:
            problems.append(Problem(spec.name, f"`{key}` {err}; using the default", source))
    return settings, problems


def resolve(
    editor: Mapping[str, Any] | None, project_file: Mapping[str, Any] | None
) -> tuple[Settings, list[Problem]]:
    settings, problems = apply_layer(Settings(), editor, "editor settings")
    settings, more = apply_layer(settings, project_file, ".mpg-lsp.toml")
    return settings, problems + more


# -- what is made from the table ------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The editor-facing schema (camelCase keys): `mpg-lsp settings-schema`."""
    return {
        "type": "object",
        "properties": {
            s.camel: {**s.schema, "default": s.default, "description": s.description} for s in SPECS
        },
    }


def vscode_settings(section: str = "mpgLsp") -> dict[str, Any]:
    """The server's settings as VS Code's ``contributes.configuration.properties``."""
    properties: dict[str, Any] = {}
    for s in SPECS:
        entry = dict(s.schema)
        if s.enum_descriptions:
            entry["enumDescriptions"] = list(s.enum_descriptions)
        entry |= {"default": s.default, "scope": "resource", "markdownDescription": s.description}
        properties[f"{section}.{s.camel}"] = entry
    return properties


def toml_example() -> str:
    """The README's .mpg-lsp.toml: every key with a value and what it means."""
    lines = ["# .mpg-lsp.toml"]
    for s in SPECS:
        lines.append(f"{s.name} = {s.example}")
    return "\n".join(lines)
