"""Oban instances of the prod view: `config :app, Oban, ...` and friends."""

from __future__ import annotations

from dataclasses import dataclass

from mpg_lsp.project.elixir_config import Binding
from mpg_lsp.project.libs import LibFacts
from mpg_lsp.project.merge import Located, MergedOptions, anchor_for, merge, module_name
from mpg_lsp.project.values import KeywordList

DEFAULT_NOTIFIER = "Oban.Notifiers.Postgres"


@dataclass
class Oban:
    name: str
    options: MergedOptions
    anchor: Located | None
    anchor_options: tuple[str, KeywordList] | None
    repo: str | None
    notifier: str  # module name; the default when absent
    notifier_explicit: bool


def find_obans(
    by_key: dict[str, list[Located]],
    bindings: dict[str, list[Binding]],
    runtime: str,
    lib: LibFacts,
) -> list[Oban]:
    """Every Oban instance the prod release configures."""
    obans: list[Oban] = []
    for key, located in by_key.items():
        if key != "Oban":
            continue
        merged = merge(located, bindings)
        anchor, anchor_options = anchor_for(merged, runtime, bindings)
        repo = module_name(merged.value("repo"))
        notifier = module_name(merged.value("notifier"))
        engine = module_name(merged.value("engine")) or "Oban.Engines.Basic"
        default = "Oban.Notifiers.PG" if engine.endswith(("Lite", "Dolphin")) else DEFAULT_NOTIFIER
        obans.append(
            Oban(key, merged, anchor, anchor_options, repo, notifier or default, notifier is not None)
        )
    return obans
