"""The command line's settings layer: ``--config`` values over the project's .mpg-lsp.toml,
then ``--select``/``--ignore`` narrowing what runs. The server's counterpart is
``lsp/configuration.py`` (the editor's layer)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from mpg_lsp.cli.errors import UsageError
from mpg_lsp.engine import Engine, rule_selection
from mpg_lsp.records import replace
from mpg_lsp.rules import REGISTRY, named_codes, unknown_rule
from mpg_lsp.settings import Problem, Settings, apply_layer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def rule_codes(values: Sequence[str], flag: str) -> frozenset[str] | None:
    """The registered codes that ``--select``/``--ignore`` values name: codes, prefixes
    (``MPG2``, ``MPG2*``), rule names or ``ALL``, comma-separated or repeated. None when the
    flag was not given."""
    if not values:
        return None
    codes: set[str] = set()
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            matched = named_codes(item)
            if not matched:
                raise UsageError(unknown_rule(flag, item.strip()))
            codes |= matched
    return frozenset(codes) or None


def config_overrides(values: Sequence[str]) -> dict[str, Any]:
    """``--config 'pool-mode = "session"'``: settings in .mpg-lsp.toml's syntax that win over
    the file, as ruff's ``--config`` does. A bad one is an error here, not a warning."""
    table: dict[str, Any] = {}
    for value in values:
        try:
            table.update(tomllib.loads(value))
        except tomllib.TOMLDecodeError as err:
            raise UsageError(f"--config {value!r} is not TOML `key = value`: {err}") from None
    settings, problems = apply_layer(Settings(), table, "--config")
    problems += rule_selection(settings, [(table, "--config")])[1]
    if problems:
        raise UsageError(
            "; ".join(
                f"--config: {p.message.removesuffix('; using the default')}" for p in problems
            )
        )
    return table


def narrow(
    settings: Settings, select: frozenset[str] | None, ignore: frozenset[str] | None
) -> Settings:
    """The project's settings with the command line's selection on top: ``--select`` and
    ``--ignore`` can only take rules away from what .mpg-lsp.toml (over the defaults) runs."""
    if select is None and not ignore:
        return settings
    allowed = frozenset(
        code
        for code in REGISTRY
        if settings.rule_enabled(code)
        and (select is None or code in select)
        and code not in (ignore or ())
    )
    return replace(settings, select=allowed)


class CommandLineEngine(Engine):
    """The shared engine with a third settings layer, the command line's, over the project's
    .mpg-lsp.toml (which is over the editor's, empty here, over the defaults): ``--config``
    values win over the file, then ``--select``/``--ignore`` narrow what runs."""

    def __init__(
        self,
        select: frozenset[str] | None = None,
        ignore: frozenset[str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.select = select
        self.ignore = ignore
        self.overrides = dict(overrides or {})

    def settings(self, root: str) -> tuple[Settings, list[Problem]]:
        settings, problems = super().settings(root)
        settings = apply_layer(settings, self.overrides, "--config")[0]
        settings = rule_selection(settings, [])[0]
        return narrow(settings, self.select, self.ignore), problems

    def fresh(self) -> CommandLineEngine:
        """The same layers over a new workspace, read from disk again."""
        return CommandLineEngine(self.select, self.ignore, self.overrides)
