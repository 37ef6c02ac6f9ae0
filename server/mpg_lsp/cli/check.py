"""`mpg-lsp check`: find the projects the paths name, check them one at a time, and print
what is found in the chosen format."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from mpg_lsp.cli.configuration import CommandLineEngine, config_overrides, rule_codes
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_FINDINGS, UsageError
from mpg_lsp.cli.terminal import Progress, Style, display_path, want_colour
from mpg_lsp.cli.text import check_summary, text_lines
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.rules import REGISTRY, Finding
from mpg_lsp.syntax.document import Document


def project_roots(engine: Engine, paths: list[str]) -> list[str]:
    """The projects of ``paths``. A folder must hold one; a file outside any project (as
    pre-commit may pass) is skipped with a note."""
    roots: list[str] = []
    empty_folders: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"no such file or folder: {path}")
        found = discover_projects(path, engine.fs)
        if not found:
            if os.path.isdir(path):
                empty_folders.append(path)
            else:
                print(
                    f"mpg-lsp: {path} is in no Elixir project (no mix.exs above it); skipped",
                    file=sys.stderr,
                )
        roots.extend(r for r in found if r not in roots)
    if empty_folders and not roots:
        raise UsageError(f"no Elixir project (mix.exs) found in {', '.join(empty_folders)}")
    return roots


def settings_problems(engine: Engine, root: str) -> list[str]:
    """What is wrong with the project's .mpg-lsp.toml, as lines for stderr."""
    lines = []
    for problem in engine.settings(root)[1]:
        where = (
            os.path.join(root, problem.source) if problem.source.startswith(".") else problem.source
        )
        lines.append(f"mpg-lsp: {display_path(where)}: {problem.message}")
    return lines


def _quoted_paths(findings: list[Finding]) -> set[str]:
    """The files a report of ``findings`` shows positions in: where they are, and where their
    fixes edit."""
    paths = {f.path for f in findings}
    paths.update(edit.path for f in findings for fix in f.fixes for edit in fix.edits)
    return paths


def report(
    fmt: str,
    engine: Engine,
    roots: list[str],
    style: Style,
    summary: Callable[[list[Finding]], str],
    with_settings_problems: bool = True,
) -> list[Finding]:
    """Check ``roots`` one project at a time and print what is found (and, unless told
    otherwise, what is wrong with their settings files); return the findings.

    Text and GitHub lines are printed as each project is done, and the project's files let go:
    checking a thousand projects holds one project's files at a time. JSON and SARIF are one
    document, so the files they quote are kept until it is written.
    """
    findings: list[Finding] = []
    quoted: dict[str, Document | None] = {}
    streaming = fmt in ("text", "github")
    progress = Progress(len(roots))
    try:
        for done, root in enumerate(roots):
            progress.step(done + 1, f"checking {display_path(root)}")
            problems = settings_problems(engine, root) if with_settings_problems else []
            found = engine.findings(root)
            findings.extend(found)
            if problems or (streaming and found):
                progress.done()  # write on a clean line; the next step redraws it
            for problem in problems:
                print(problem, file=sys.stderr)
            if fmt == "text":
                for line in text_lines(found, engine.ws.get, style):
                    print(line)
            elif fmt == "github":
                from mpg_lsp.cli.github import github_lines

                for line in github_lines(found, engine.ws.get):
                    print(line)
            else:
                quoted.update((path, engine.ws.get(path)) for path in _quoted_paths(found))
            engine.forget(root)
    finally:
        progress.done()
    if fmt == "json":
        from mpg_lsp.cli.json import dumps, json_findings

        print(dumps(json_findings(findings, quoted.get, REGISTRY)))
    elif fmt == "sarif":
        from mpg_lsp.cli.json import dumps
        from mpg_lsp.cli.sarif import sarif_log

        print(dumps(sarif_log(findings, quoted.get, REGISTRY)))
    else:
        print(summary(findings))
    return findings


def run_check(args: argparse.Namespace) -> int:
    """`check` (and `fix`, which `check --fix` and `--diff` are)."""
    select = rule_codes(args.select, "--select")
    ignore = rule_codes(args.ignore, "--ignore")
    engine = CommandLineEngine(select, ignore, config_overrides(args.config))
    roots = project_roots(engine, args.paths)
    style = Style(want_colour(sys.stdout, args.color) and args.format == "text")
    if args.command == "fix" or args.fix or args.diff:
        from mpg_lsp.cli.fix import run_fix

        return run_fix(args, engine, roots, style)
    findings = report(
        args.format, engine, roots, style, lambda found: check_summary(found, len(roots), style)
    )
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN
