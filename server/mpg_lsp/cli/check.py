"""`mpg-lsp check`: find the projects the paths name, check each (on every core), and print
what is found in the chosen format, projects in a stable order.

Each project becomes a ``ProjectReport`` (plain data: it crosses from a worker process):
whether it was checked and why not, what is wrong with its settings, its output lines or
items, and the counts the summary adds up.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import Any

from mpg_lsp.cli.configuration import CommandLineEngine, config_overrides, rule_codes
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, UsageError
from mpg_lsp.cli.redaction import printable
from mpg_lsp.cli.terminal import Progress, Style, display_path, want_colour
from mpg_lsp.cli.text import Tally, summary_line, tally, text_lines
from mpg_lsp.engine import PROJECT_SETTINGS, Engine, discover_projects
from mpg_lsp.project.model import ProdView
from mpg_lsp.records import field, record
from mpg_lsp.rules import REGISTRY, Finding


def note(message: str) -> None:
    """One line for the user on stderr, safe for a terminal."""
    print(f"mpg-lsp: {printable(message)}", file=sys.stderr)


@record
class Paths:
    roots: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def project_roots(engine: Engine, paths: list[str]) -> Paths:
    """The projects of ``paths``, and the paths that do not exist (reported after the
    others are checked). A folder must hold a project; a file outside any project (as
    pre-commit may pass) is skipped with a note."""
    found_paths = Paths()
    empty_folders: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            found_paths.missing.append(path)
            continue
        found = discover_projects(path, engine.fs)
        if not found:
            if os.path.isdir(path):
                empty_folders.append(path)
            else:
                note(f"{path} is in no Elixir project (no mix.exs above it); skipped")
        found_paths.roots.extend(r for r in found if r not in found_paths.roots)
    if empty_folders and not found_paths.roots:
        raise UsageError(f"no Elixir project (mix.exs) found in {', '.join(empty_folders)}")
    return found_paths


@record
class ProjectReport:
    root: str
    checked: bool = True
    notes: list[str] = field(default_factory=list)  # for stderr, before the findings
    error: bool = False  # a settings file that cannot be read: exit 2
    lines: list[str] = field(default_factory=list)  # text or github lines, for stdout
    items: list[dict[str, Any]] = field(default_factory=list)  # JSON items or SARIF results
    tally: Tally = field(default_factory=lambda: Tally())


def settings_notes(engine: Engine, root: str) -> tuple[list[str], bool]:
    """What is wrong with the project's settings, as lines for stderr, and whether it is
    fatal (the file is not TOML: nothing of it applies, so the project is not checked)."""
    lines = []
    fatal = False
    for problem in engine.settings(root)[1]:
        where = (
            os.path.join(root, problem.source) if problem.source.startswith(".") else problem.source
        )
        lines.append(f"{display_path(where)}: {problem.message}")
        fatal = fatal or problem.fatal
    return lines, fatal


def unchecked_reason(view: ProdView) -> str:
    if view.settings.enabled is False:
        return "`enabled = false` in its settings"
    return (
        "it does not look like it runs on Fly.io Managed Postgres (no Fly config beside a "
        "Postgres repo, no pooler host, no direct-URL variable)"
    )


def check_project(
    engine: Engine, root: str, fmt: str, style: Style, with_settings: bool = True
) -> ProjectReport:
    """Check one project and render what is found; let go of its files."""
    report = ProjectReport(root)
    try:
        notes, fatal = settings_notes(engine, root)
        if with_settings:
            report.notes += notes
        if fatal:
            report.checked, report.error = False, True
            report.notes.append(f"{display_path(root)}: not checked: fix its {PROJECT_SETTINGS}")
            report.tally = Tally(skipped=1)
            return report
        view = engine.view(root)
        if not view.gate_open:
            report.checked = False
            report.notes.append(
                f"{display_path(root)}: not checked: {unchecked_reason(view)}. To check it "
                "anyway: `enabled = true` in its .mpg-lsp.toml, or --config 'enabled = true'"
            )
            report.tally = Tally(skipped=1)
            return report
        found = engine.findings(root)
        report.tally = tally(found)
        render(report, found, engine, fmt, style)
        return report
    finally:
        engine.forget(root)


def render(
    report: ProjectReport, found: list[Finding], engine: Engine, fmt: str, style: Style
) -> None:
    if fmt == "text":
        report.lines = list(text_lines(found, engine.ws.get, style))
    elif fmt == "github":
        from mpg_lsp.cli.github import github_lines

        report.lines = list(github_lines(found, engine.ws.get))
    elif fmt == "json":
        from mpg_lsp.cli.json import json_findings

        report.items = json_findings(found, engine.ws.get, REGISTRY)
    else:
        from mpg_lsp.cli.sarif import sarif_results

        report.items = sarif_results(found, engine.ws.get, REGISTRY)


def reports(
    engine: CommandLineEngine,
    roots: list[str],
    fmt: str,
    style: Style,
    jobs: int,
    with_settings: bool = True,
) -> Iterator[ProjectReport]:
    """A report per project, in the order of ``roots``; on ``jobs`` processes when there are
    several projects."""
    if jobs <= 1 or len(roots) <= 1:
        for root in roots:
            yield check_project(engine, root, fmt, style, with_settings)
        return
    from mpg_lsp.cli.parallel import parallel_reports

    yield from parallel_reports(engine, roots, fmt, style, jobs, with_settings)


def report(
    fmt: str,
    engine: CommandLineEngine,
    roots: list[str],
    style: Style,
    jobs: int = 1,
    found_before_fix: int | None = None,
    unsafe: bool = False,
    with_settings: bool = True,
) -> ProjectReport:
    """Check ``roots`` and print what is found (text and GitHub lines as each project is done;
    JSON and SARIF as one document at the end), notes on stderr, then the summary (text and
    GitHub). Returns the sum: its tally and whether an error was met."""
    total = ProjectReport("")
    items: list[dict[str, Any]] = []
    progress = Progress(len(roots))
    try:
        if roots:
            progress.step(1, f"checking {display_path(roots[0])}")
        for done, one in enumerate(reports(engine, roots, fmt, style, jobs, with_settings), 1):
            if one.notes or one.lines:
                progress.done()  # write on a clean line; the next step redraws it
            for line in one.notes:
                note(line)
            for line in one.lines:
                print(line)
            items += one.items
            total.tally += one.tally
            total.error = total.error or one.error
            if done < len(roots):
                progress.step(done + 1, f"checking {display_path(roots[done])}")
    finally:
        progress.done()
    if fmt == "json":
        from mpg_lsp.cli.json import dumps

        print(dumps(items))
    elif fmt == "sarif":
        from mpg_lsp.cli.json import dumps
        from mpg_lsp.cli.sarif import sarif_document

        print(dumps(sarif_document(items, REGISTRY)))
    else:
        fixed = None
        if found_before_fix is not None:
            fixed = max(found_before_fix - total.tally.problems, 0)
        print(summary_line(total.tally, style, fixed, unsafe))
    return total


def jobs_wanted(value: int | None) -> int:
    if value is None:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            return os.cpu_count() or 1
    if value < 1:
        raise UsageError("--jobs must be at least 1")
    return value


def run_check(args: argparse.Namespace) -> int:
    """`check` (and `fix`, which `check --fix` and `--diff` are)."""
    select = rule_codes(args.select, "--select")
    ignore = rule_codes(args.ignore, "--ignore")
    fixing = args.command == "fix" or args.fix or args.diff
    if args.diff and args.format != "text":
        raise UsageError(
            f"--diff prints a unified diff; it does not combine with --format {args.format}"
        )
    engine = CommandLineEngine(select, ignore, config_overrides(args.config))
    jobs = jobs_wanted(args.jobs)
    paths = project_roots(engine, args.paths)
    style = Style(want_colour(sys.stdout, args.color) and args.format == "text")
    if fixing:
        from mpg_lsp.cli.fix import run_fix

        code = run_fix(args, engine, paths.roots, style, jobs)
    elif not paths.roots and paths.missing:
        code = EXIT_ERROR
    else:
        total = report(args.format, engine, paths.roots, style, jobs)
        code = EXIT_FINDINGS if total.tally.problems and not args.exit_zero else EXIT_CLEAN
        code = EXIT_ERROR if total.error else code
    for path in paths.missing:
        note(f"no such file or folder: {path}")
    return EXIT_ERROR if paths.missing else code
