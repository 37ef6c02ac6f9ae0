"""The rule catalog. ``run`` applies every enabled rule to a project's prod view."""

from __future__ import annotations

from mpg_lsp.logs import logger
from mpg_lsp.project.model import ProdView
from mpg_lsp.records import replace
from mpg_lsp.rules import (  # noqa: F401  (registers the rules)
    connections,
    deploy,
    fly,
    listen,
    oban,
    repo,
    sql,
    suppression,
    url_params,
)
from mpg_lsp.rules.base import REGISTRY, Edit, Finding, Fix, Rule

__all__ = ["REGISTRY", "Edit", "Finding", "Fix", "Rule", "named_codes", "run", "unknown_rule"]


def named_codes(item: str) -> frozenset[str]:
    """The registered codes that one item of a selection names, as `mpg-lsp explain` reads
    a rule: ``ALL``, a rule's name (``prepare-unnamed-missing``), a code, or a code prefix
    (``MPG2``, ``MPG2*``). Empty when it names none."""
    wanted = item.strip()
    if wanted.upper() == "ALL":
        return frozenset(REGISTRY)
    by_name = [code for code, rule in REGISTRY.items() if rule.name == wanted.lower()]
    if by_name:
        return frozenset(by_name)
    prefix = wanted.upper().rstrip("*")
    return frozenset(code for code in REGISTRY if prefix and code.startswith(prefix))


def unknown_rule(where: str, item: str) -> str:
    """What the command line and .mpg-lsp.toml say of a selection item that names no rule."""
    return f"{where} {item}: no rule code, prefix or name matches it (`mpg-lsp rules` lists them)"


def run(view: ProdView) -> list[Finding]:
    """Every finding of the project, sorted by file and position. Never raises."""
    if not view.gate_open:
        return []
    settings = view.settings
    findings: list[Finding] = []
    for code, rule in REGISTRY.items():
        if not settings.rule_enabled(code):
            continue
        if rule.transaction_only and settings.pool_mode == "session":
            continue
        try:
            found = list(rule.check(view))
        except Exception:  # noqa: BLE001  (a rule bug must not take the editor down with it)
            logger(__name__).exception("rule %s failed on %s", code, view.root)
            continue
        findings.extend(found)
    findings = suppression.apply(view, findings, settings.rule_enabled("MPG001"))
    if settings.severity:
        findings = [
            replace(f, severity=settings.severity[f.code]) if f.code in settings.severity else f
            for f in findings
        ]
    findings.sort(key=lambda f: (f.path, f.start, f.code))
    return findings
