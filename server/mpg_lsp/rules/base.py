"""Findings, fixes and the rule registry: data, shared by the server, the CLI and the tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from mpg_lsp.project.model import ProdView
from mpg_lsp.records import field, record

# the rule pages, shipped in the package: a link to one opens the page of the installed version
DOCS_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "rules"
)


@record(frozen=True)
class Edit:
    """Replace ``path``'s bytes ``[start, end)`` with ``text``."""

    path: str
    start: int
    end: int
    text: str


@record(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    preferred: bool = False
    safe: bool = True  # `mpg-lsp fix` applies only safe, preferred fixes without --unsafe


@record(frozen=True)
class Finding:
    code: str
    path: str
    start: int
    end: int
    message: str
    severity: str  # error | warning | information | hint
    fixes: tuple[Fix, ...] = ()
    tags: tuple[str, ...] = ()  # "deprecated", "unnecessary"


Check = Callable[[ProdView], Iterable[Finding]]


@record(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    check: Check = field(repr=False)
    transaction_only: bool = False  # off when the pool mode is "session"
    fixable: bool = True

    @property
    def url(self) -> str:
        """A ``file:`` URI of the rule's page in the installed package (`mpg-lsp explain CODE`
        prints it too)."""
        from pathlib import Path  # diagnostics, JSON and SARIF need it; text output does not

        return Path(DOCS_DIR, f"{self.code}.md").as_uri()

    def docs(self) -> str:
        from importlib import resources  # `explain` and hover need it; `check` does not

        try:
            return (resources.files("mpg_lsp") / "docs" / "rules" / f"{self.code}.md").read_text(
                encoding="utf-8"
            )
        except OSError:
            return f"# {self.code} {self.name}\n\n{self.summary}\n"


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: str,
    summary: str,
    *,
    transaction_only: bool = False,
    fixable: bool = True,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        REGISTRY[code] = Rule(code, name, severity, summary, check, transaction_only, fixable)
        return check

    return register
