"""`mpg-lsp rules`: the rule table as text, Markdown (the README's) or JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mpg_lsp.cli.errors import EXIT_CLEAN
from mpg_lsp.cli.terminal import BOLD, RED, SEVERITY_COLOUR, Style
from mpg_lsp.rules import REGISTRY
from mpg_lsp.rules.base import Rule


def ordered_rules() -> list[Rule]:
    return sorted(REGISTRY.values(), key=lambda r: r.code)


def repository_link(rule: Rule) -> str:
    """Where a rule's page is in a checkout of this repository (the README's links)."""
    return f"server/mpg_lsp/docs/rules/{rule.code}.md"


def rules_table(link: Callable[[Rule], str] = repository_link) -> str:
    """The rule table: the README's (links into the repository), or `mpg-lsp rules --format
    markdown`'s (links to the pages of the installed package)."""
    lines = ["| Code | Name | Default severity | Fix | What it catches |", "|---|---|---|---|---|"]
    for rule in ordered_rules():
        fix = "yes" if rule.fixable else "no"
        lines.append(
            f"| [{rule.code}]({link(rule)}) | {rule.name} | {rule.severity} | {fix} "
            f"| {rule.summary} |"
        )
    return "\n".join(lines)


def rules_text(rules: Iterable[Rule], style: Style) -> Iterator[str]:
    rows = [(r.code, r.name, r.severity, "yes" if r.fixable else "no", r.summary) for r in rules]
    head = ("Code", "Name", "Severity", "Fix", "What it catches")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]

    def line(row: tuple[str, ...], colours: tuple[tuple[str, ...], ...]) -> str:
        cells = [
            style(cell.ljust(widths[i]) if i < 4 else cell, *colours[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    yield line(head, ((BOLD,),) * 5)
    for row in rows:
        colour = SEVERITY_COLOUR.get(row[2], RED)
        yield line(row, ((BOLD, colour), (), (colour,), (), ()))


def rules_json(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity,
            "fixable": r.fixable,
            "transactionOnly": r.transaction_only,
            "summary": r.summary,
            "url": r.url,
        }
        for r in rules
    ]


def run_rules(fmt: str, style: Style) -> int:
    if fmt == "markdown":
        print(rules_table(lambda rule: rule.url))
    elif fmt == "json":
        from mpg_lsp.cli.json import dumps

        print(dumps(rules_json(ordered_rules())))
    else:
        for line in rules_text(ordered_rules(), style):
            print(line)
    return EXIT_CLEAN
