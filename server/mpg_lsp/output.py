"""How the command line prints: findings as text for people, as JSON, SARIF 2.1.0 and GitHub
workflow commands for machines; colour, progress and rule pages for terminals.

Nothing here reads files or runs rules: the CLI hands over findings and a way to get each
file's ``Document``, which converts byte offsets to lines and columns.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

from mpg_lsp import __version__
from mpg_lsp.records import record
from mpg_lsp.rules.base import Finding, Fix, Rule
from mpg_lsp.syntax.document import Document, Encoding

TOOL_URL = "https://github.com/mpg-lsp/mpg-lsp"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
GITHUB_LEVEL = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}
SRCROOT = "%SRCROOT%"

DocFor = Callable[[str], "Document | None"]


# -- colour ---------------------------------------------------------------------------------

BOLD, DIM, UNDERLINE = "1", "2", "4"
RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN = "31", "32", "33", "34", "35", "36"
SEVERITY_COLOUR = {"error": RED, "warning": YELLOW, "information": BLUE, "hint": MAGENTA}


def want_colour(
    stream: IO[str], choice: str = "auto", environ: Mapping[str, str] | None = None
) -> bool:
    """``--color always|never`` wins; then NO_COLOR (no-color.org), then FORCE_COLOR
    (force-color.org; "0" and "false" do not force, as in Node); then: is it a terminal?"""
    env = os.environ if environ is None else environ
    if choice in ("always", "never"):
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "").lower() not in ("", "0", "false"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


@record(frozen=True)
class Style:
    enabled: bool

    def __call__(self, text: str, *codes: str) -> str:
        if not self.enabled or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


# -- positions and paths --------------------------------------------------------------------


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the working folder when inside it, else absolute."""
    rel = os.path.relpath(path, cwd or os.getcwd())
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel


def _at(doc: Document, offset: int, encoding: Encoding = "utf-32") -> dict[str, int]:
    line, column = doc.position_at(offset, encoding)
    return {"line": line + 1, "column": column + 1}


def safe_fix(finding: Finding) -> Fix | None:
    """The fix `mpg-lsp fix` applies without --unsafe."""
    return next((f for f in finding.fixes if f.preferred and f.safe), None)


def unsafe_fix(finding: Finding) -> Fix | None:
    """The fix only `mpg-lsp fix --unsafe` applies."""
    if safe_fix(finding) is not None:
        return None
    return next((f for f in finding.fixes if f.preferred), None)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- text -----------------------------------------------------------------------------------


def text_lines(
    findings: Iterable[Finding], doc_for: DocFor, style: Style, cwd: str | None = None
) -> Iterator[str]:
    """``path:line:col: CODE [*] message``, as ruff's concise output; ``[*]``: `mpg-lsp fix` fixes it."""
    sep = style(":", CYAN)
    for f in findings:
        doc = doc_for(f.path)
        at = _at(doc, f.start) if doc is not None else {"line": 1, "column": 1}
        mark = f" {style('[*]', CYAN)}" if safe_fix(f) is not None else ""
        code = style(f.code, BOLD, SEVERITY_COLOUR.get(f.severity, RED))
        yield (
            f"{style(display_path(f.path, cwd), BOLD)}{sep}{at['line']}{sep}{at['column']}{sep} "
            f"{code}{mark} {f.message}"
        )


def check_summary(findings: list[Finding], projects: int, style: Style) -> str:
    if not projects:
        return "No Elixir project to check."
    where = plural(projects, "project")
    if not findings:
        return style(f"All checks passed ({where}).", GREEN)
    safe = sum(1 for f in findings if safe_fix(f) is not None)
    unsafe = sum(1 for f in findings if unsafe_fix(f) is not None)
    notes = []
    if safe:
        notes.append(f"{safe} fixable with `mpg-lsp fix`")
    if unsafe:
        notes.append(f"{unsafe} {'more ' if safe else 'fixable '}with `mpg-lsp fix --unsafe`")
    paren = f" ({', '.join(notes)})" if notes else ""
    return f"{style('Found ' + plural(len(findings), 'problem'), BOLD)}{paren} in {where}."


def fix_summary(
    fixed: int, remaining: list[Finding], projects: int, unsafe: bool, style: Style
) -> str:
    """As ruff: ``Found 5 problems (3 fixed, 2 remaining) in 1 project.``"""
    if not fixed:
        return check_summary(remaining, projects, style)
    where = plural(projects, "project")
    total = fixed + len(remaining)
    line = f"{style('Found ' + plural(total, 'problem'), BOLD)} ({fixed} fixed, {len(remaining)} remaining) in {where}."
    hidden = 0 if unsafe else sum(1 for f in remaining if unsafe_fix(f) is not None)
    if hidden:
        line += f" {hidden} more fixable with `mpg-lsp fix --unsafe`."
    return line


def colour_diff(lines: Iterable[str], style: Style) -> Iterator[str]:
    colours = (("---", BOLD), ("+++", BOLD), ("@@", CYAN), ("+", GREEN), ("-", RED))
    for line in lines:
        colour = next((c for prefix, c in colours if line.startswith(prefix)), None)
        if colour is None or not style.enabled:
            yield line
        else:
            body = line.rstrip("\r\n")
            yield style(body, colour) + line[len(body) :]


# -- JSON -----------------------------------------------------------------------------------


_URL = r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+"  # compiled on first use, by `re`


def carries_secret(fix: Fix) -> bool:
    """Whether an edit's text holds a URL with a password (a fix that rewrites a literal
    database URL): machine output leaves such a fix's edits out rather than print it."""
    from mpg_lsp.project.secrets import masked

    return any(masked(url) != url for edit in fix.edits for url in re.findall(_URL, edit.text))


def _edits_json(fix: Fix, doc_for: DocFor, cwd: str | None) -> list[dict[str, Any]] | None:
    if carries_secret(fix):
        return None
    edits = []
    for edit in fix.edits:
        doc = doc_for(edit.path)
        if doc is None:
            return None
        edits.append(
            {
                "path": display_path(edit.path, cwd),
                "start": _at(doc, edit.start),
                "end": _at(doc, edit.end),
                "text": edit.text,
            }
        )
    return edits


def json_findings(
    findings: Iterable[Finding], doc_for: DocFor, rules: Mapping[str, Rule], cwd: str | None = None
) -> list[dict[str, Any]]:
    """One object per finding; lines and columns 1-based, columns in characters (code points)."""
    items = []
    for f in findings:
        doc = doc_for(f.path)
        rule = rules.get(f.code)
        fixes = []
        for fix in f.fixes:
            edits = _edits_json(fix, doc_for, cwd)
            if edits is not None:
                fixes.append(
                    {
                        "title": fix.title,
                        "preferred": fix.preferred,
                        "safe": fix.safe,
                        "edits": edits,
                    }
                )
        items.append(
            {
                "code": f.code,
                "name": rule.name if rule else None,
                "severity": f.severity,
                "message": f.message,
                "path": display_path(f.path, cwd),
                "start": _at(doc, f.start) if doc else None,
                "end": _at(doc, f.end) if doc else None,
                "url": rule.url if rule else None,
                "fixable": safe_fix(f) is not None,
                "fixes": fixes,
            }
        )
    return items


# -- SARIF 2.1.0 ----------------------------------------------------------------------------


def _artifact(path: str, cwd: str) -> dict[str, str]:
    """Relative to %SRCROOT% (the working folder) when inside it, else an absolute file URI."""
    from urllib.parse import quote  # SARIF only: kept off the start-up of text output

    rel = os.path.relpath(path, cwd)
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return {"uri": _file_uri(path)}
    return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _file_uri(path: str, folder: bool = False) -> str:
    from urllib.parse import quote

    posix = os.path.abspath(path).replace(os.sep, "/")
    if not posix.startswith("/"):
        posix = "/" + posix  # C:/x -> /C:/x
    if folder and not posix.endswith("/"):
        posix += "/"
    return "file://" + quote(posix)


def _region(doc: Document, start: int, end: int) -> dict[str, int]:
    s, e = _at(doc, start, "utf-16"), _at(doc, end, "utf-16")
    return {
        "startLine": s["line"],
        "startColumn": s["column"],
        "endLine": e["line"],
        "endColumn": e["column"],
    }


def _sarif_fix(fix: Fix, doc_for: DocFor, cwd: str) -> dict[str, Any] | None:
    if carries_secret(fix):
        return None
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        doc = doc_for(edit.path)
        if doc is None:
            return None
        changes.setdefault(edit.path, []).append(
            {
                "deletedRegion": _region(doc, edit.start, edit.end),
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {"artifactLocation": _artifact(path, cwd), "replacements": replacements}
            for path, replacements in changes.items()
        ],
        "properties": {"preferred": fix.preferred, "safe": fix.safe},
    }


def sarif_rule(rule: Rule) -> dict[str, Any]:
    docs = rule.docs()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "helpUri": rule.url,
        "help": {"text": docs, "markdown": docs},
        "defaultConfiguration": {"level": SARIF_LEVEL.get(rule.severity, "warning")},
        "properties": {"fixable": rule.fixable, "transactionOnly": rule.transaction_only},
    }


def sarif_log(
    findings: Iterable[Finding], doc_for: DocFor, rules: Mapping[str, Rule], cwd: str | None = None
) -> dict[str, Any]:
    """One run; every registered rule in ``tool.driver.rules``; regions 1-based with columns
    in UTF-16 code units (SARIF's default, declared in ``columnKind``)."""
    cwd = cwd or os.getcwd()
    ordered = sorted(rules.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(ordered)}
    results = []
    for f in findings:
        doc = doc_for(f.path)
        location: dict[str, Any] = {"artifactLocation": _artifact(f.path, cwd)}
        if doc is not None:
            location["region"] = _region(doc, f.start, f.end)
        result: dict[str, Any] = {"ruleId": f.code}
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        result |= {
            "level": SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
        }
        fixes = [
            x
            for x in (
                _sarif_fix(fix, doc_for, cwd)
                for fix in sorted(f.fixes, key=lambda x: not x.preferred)
            )
            if x
        ]
        if fixes:
            result["fixes"] = fixes
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mpg-lsp",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": TOOL_URL,
                        "rules": [sarif_rule(rule) for rule in ordered],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _file_uri(cwd, folder=True)}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }


# -- GitHub workflow commands ---------------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(
    findings: Iterable[Finding], doc_for: DocFor, cwd: str | None = None
) -> Iterator[str]:
    """``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=MPG101::message``: GitHub
    Actions turns these into annotations on the pull request's files."""
    for f in findings:
        doc = doc_for(f.path)
        props = [f"file={_gh_property(display_path(f.path, cwd))}"]
        if doc is not None:
            s, e = _at(doc, f.start), _at(doc, f.end)
            props += [
                f"line={s['line']}",
                f"col={s['column']}",
                f"endLine={e['line']}",
                f"endColumn={e['column']}",
            ]
        props.append(f"title={_gh_property(f.code)}")
        yield f"::{GITHUB_LEVEL.get(f.severity, 'warning')} {','.join(props)}::{_gh_data(f.message)}"


# -- rules and their pages ------------------------------------------------------------------


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
        yield line(
            row,
            (
                (BOLD, SEVERITY_COLOUR.get(row[2], RED)),
                (),
                (SEVERITY_COLOUR.get(row[2], RED),),
                (),
                (),
            ),
        )


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


_INLINE = r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)"  # compiled on first use, by `re`


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


def rule_header(rule: Rule) -> str:
    """One line under a rule page's title: what `mpg-lsp rules` says about it."""
    fix = "a quick fix" if rule.fixable else "no automatic fix"
    extra = "; off when pool-mode is session" if rule.transaction_only else ""
    return f"Default severity: {rule.severity}; {fix}{extra}. {rule.url}"


# -- progress -------------------------------------------------------------------------------


class Progress:
    """``[3/30] checking apps/billing`` on one line of stderr, redrawn in place, cleared at the
    end; only on a terminal, and only when there is more than one project."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = total > 1 and bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        self.shown = False

    def step(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            width = 0
        width = width if width >= 20 else 80  # a pseudo-terminal may say 0
        line = f"[{done}/{self.total}] {label}"[: width - 1]
        self.stream.write(f"\r\x1b[2K{line}")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False


def dumps(data: Any) -> str:
    import json  # only the json and sarif formats need it; text output starts faster without

    return json.dumps(data, indent=2, ensure_ascii=False)
