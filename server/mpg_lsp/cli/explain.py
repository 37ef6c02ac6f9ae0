"""`mpg-lsp explain`: a rule's page, found by what the user typed, rendered for a terminal.

What the user typed becomes a rule in ``find_rule`` (a code or a name today); a new way to
name a rule is one more step there.
"""

from __future__ import annotations

import re
import sys

from mpg_lsp.cli.errors import EXIT_CLEAN, UsageError
from mpg_lsp.cli.terminal import BOLD, CYAN, DIM, GREEN, UNDERLINE, Style
from mpg_lsp.rules import REGISTRY
from mpg_lsp.rules.base import Rule

_INLINE = r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)"  # compiled on first use, by `re`


def find_rule(wanted: str) -> Rule:
    """The rule ``wanted`` names (a code or a name, any case), or a usage error with the
    closest names."""
    import difflib  # for "did you mean"

    text = wanted.strip()
    by_name = {rule.name: rule for rule in REGISTRY.values()}
    rule = REGISTRY.get(text.upper()) or by_name.get(text.lower())
    if rule is not None:
        return rule
    close = difflib.get_close_matches(text.upper(), list(REGISTRY), n=3, cutoff=0.6)
    close += difflib.get_close_matches(text.lower(), list(by_name), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UsageError(f"unknown rule {wanted}{hint} (`mpg-lsp rules` lists them)")


def rule_header(rule: Rule) -> str:
    """One line under a rule page's title: what `mpg-lsp rules` says about it."""
    fix = "a quick fix" if rule.fixable else "no automatic fix"
    extra = "; off when pool-mode is session" if rule.transaction_only else ""
    return f"Default severity: {rule.severity}; {fix}{extra}. {rule.url}"


def render_markdown(text: str, style: Style) -> str:
    """A rule page for a terminal: headings bold, code in colour, links as "text <url>", fenced
    blocks indented. Without colour the Markdown is printed as it is (it reads well, and pipes
    into other tools)."""
    if not style.enabled:
        return text

    def inline(line: str) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(1) is not None:
                return style(m.group(1), CYAN)
            if m.group(2) is not None:
                return style(m.group(2), BOLD)
            return f"{style(m.group(3), UNDERLINE)} {style('<' + m.group(4) + '>', DIM)}"

        return re.sub(_INLINE, one, line)

    out: list[str] = []
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence:
            out.append("    " + style(line, GREEN))
        elif line.startswith("# "):
            out.append(style(line[2:], BOLD, UNDERLINE))
        elif line.startswith("#"):
            out.append(style(line.lstrip("#").strip(), BOLD))
        else:
            out.append(inline(line))
    return "\n".join(out) + "\n"


def run_explain(wanted: str, style: Style) -> int:
    rule = find_rule(wanted)
    title, _, body = rule.docs().partition("\n")
    page = f"{title}\n\n{rule_header(rule)}\n{body}"
    sys.stdout.write(render_markdown(page, style))
    return EXIT_CLEAN
