"""`mpg-lsp fix` (and `check --fix`, `--diff`): apply, or show, every preferred fix, then
report what remains, as ``ruff check --fix`` does."""

from __future__ import annotations

import argparse
import sys

from mpg_lsp.cli.check import report, settings_problems
from mpg_lsp.cli.configuration import CommandLineEngine
from mpg_lsp.cli.diff import colour_diff, unified_diff
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from mpg_lsp.cli.terminal import Progress, Style, display_path, plural, want_colour
from mpg_lsp.cli.text import fix_summary
from mpg_lsp.cli.writing import write_atomically
from mpg_lsp.fixing import fix_project
from mpg_lsp.rules import Finding


def run_fix(
    args: argparse.Namespace, engine: CommandLineEngine, roots: list[str], style: Style
) -> int:
    before = 0
    after_in_memory = 0
    changed = 0
    problems: list[str] = []
    progress = Progress(len(roots))
    diff_style = Style(want_colour(sys.stdout, args.color))
    try:
        for done, root in enumerate(roots):
            progress.step(done + 1, f"fixing {display_path(root)}")
            problems += settings_problems(engine, root)
            before += len(engine.findings(root))
            result = fix_project(engine, root, unsafe=args.unsafe)
            after_in_memory += len(engine.findings(root))  # the workspace holds the fixed texts
            engine.forget(root)  # the report comes from a fresh read of the disk (below)
            for path in result.refused:
                problems.append(
                    f"mpg-lsp: {display_path(path)}: a fix would leave it unparsable; "
                    "left as it was"
                )
            for path, new in sorted(result.fixed.items()):
                changed += 1
                if args.diff:
                    progress.done()
                    lines = unified_diff(path, result.original[path], new)
                    sys.stdout.writelines(colour_diff(lines, diff_style))
                    continue
                try:
                    write_atomically(path, new)
                except OSError as err:
                    progress.done()
                    print(
                        f"mpg-lsp: cannot write {display_path(path)}: {err.strerror or err}",
                        file=sys.stderr,
                    )
                    return EXIT_ERROR
    finally:
        progress.done()
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.diff:
        fixable = max(before - after_in_memory, 0)
        print(
            f"Would fix {plural(fixable, 'problem')} in {plural(changed, 'file')} "
            f"of {plural(len(roots), 'project')}.",
            file=sys.stderr,
        )
        return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_CLEAN
    after = engine.fresh()  # from disk: what a fresh check says

    def summary(remaining: list[Finding]) -> str:
        return fix_summary(
            max(before - len(remaining), 0), remaining, len(roots), args.unsafe, style
        )

    # the settings problems were said above
    remaining = report(args.format, after, roots, style, summary, with_settings_problems=False)
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN
