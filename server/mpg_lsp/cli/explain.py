"""`mpg-lsp explain`: a rule's page, found by what the user typed, rendered for a terminal;
or, for a pasted error or log line, its likely cause and the rules that prevent it.

What the user typed becomes a rule in ``find_rule`` (a code or a name); anything that does not
look like one is an error text, which ``rules.known_errors`` diagnoses.
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


_RULE_LIKE = r"(?i)mpg\d+|[a-z0-9]+(?:-[a-z0-9]+)+"


def run_explain(wanted: str, style: Style) -> int:
    text = sys.stdin.read() if wanted.strip() == "-" else wanted
    if re.fullmatch(_RULE_LIKE, text.strip()):
        rule = find_rule(text)
        title, _, body = rule.docs().partition("\n")
        page = f"{title}\n\n{rule_header(rule)}\n{body}"
        sys.stdout.write(render_markdown(page, style))
        return EXIT_CLEAN
    return explain_error(text, style)


def _rule_line(code: str) -> str | None:
    rule = REGISTRY.get(code)
    if rule is None:
        return None  # a rule of the catalog this build does not have yet
    return f"- **{code}** `{rule.name}` ({rule.severity}): {rule.summary}"


def errors_table() -> str:
    """The README's table of the errors `explain` knows, generated from rules.known_errors."""
    from mpg_lsp.cli.rules import repository_link
    from mpg_lsp.rules.known_errors import KNOWN

    lines = ["| A line like | What it is | Rules |", "|---|---|---|"]
    for known in KNOWN:
        rules = ", ".join(
            f"[{code}]({repository_link(REGISTRY[code])})"
            for code in known.rules
            if code in REGISTRY
        )
        lines.append(f"| `{known.example}` | {known.title} | {rules or 'none (not config)'} |")
    return "\n".join(lines)


def explain_error(text: str, style: Style) -> int:
    """The likely cause of an error or log line, what to do, and the rules; never the text
    itself (a pasted line may hold a connection URL with its password)."""
    from mpg_lsp.rules.known_errors import KNOWN, diagnose

    found = diagnose(text)
    if not found:
        known = "\n".join(
            f"- {k.title}: `{k.example}`" + (f" ({', '.join(k.rules)})" if k.rules else "")
            for k in KNOWN
        )
        raise UsageError(
            "this text names no rule and matches no error mpg-lsp knows. It knows these "
            f"errors and log lines:\n{known}\nPaste the whole line in quotes, or name a rule "
            "(`mpg-lsp explain MPG101`; `mpg-lsp rules` lists them)."
        )
    pages = []
    for diagnosis in found:
        error = diagnosis.error
        title = error.title[0].upper() + error.title[1:]
        if diagnosis.detail and error.detail_label:
            title += f" ({error.detail_label} `{diagnosis.detail}`)"
        lines = [f"# {title}", "", f"**Likely cause.** {error.cause}", "", f"**Fix.** {error.fix}"]
        rules = [line for line in map(_rule_line, diagnosis.rules) if line]
        if rules:
            lines += ["", "**Rules that catch it** (`mpg-lsp explain CODE` for the page):", *rules]
        elif not diagnosis.rules:
            lines += ["", "No rule catches this: it is not caused by the project's config."]
        pages.append("\n".join(lines))
    sys.stdout.write(render_markdown("\n\n".join(pages) + "\n", style))
    return EXIT_CLEAN
