"""`mpg-lsp fix` (and `check --fix`, `--diff`): apply, or show, every preferred fix, then
report what remains, as ``ruff check --fix`` does."""

from __future__ import annotations

import argparse
import sys

from mpg_lsp.cli.check import note, report, settings_notes
from mpg_lsp.cli.configuration import CommandLineEngine
from mpg_lsp.cli.diff import colour_diff, unified_diff
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from mpg_lsp.cli.terminal import Progress, Style, display_path, plural, want_colour
from mpg_lsp.cli.writing import LeftAlone, write_fixed
from mpg_lsp.fixing import fix_project


def run_fix(
    args: argparse.Namespace,
    engine: CommandLineEngine,
    roots: list[str],
    style: Style,
    jobs: int = 1,
) -> int:
    before = 0
    after_in_memory = 0
    changed = 0
    failed = False
    notes: list[str] = []
    progress = Progress(len(roots))
    diff_style = Style(want_colour(sys.stdout, args.color))
    try:
        for done, root in enumerate(roots):
            progress.step(done + 1, f"fixing {display_path(root)}")
            problems, fatal = settings_notes(engine, root)
            notes += problems
            if fatal:  # nothing of the file applies: fixing with defaults could undo choices
                engine.forget(root)
                continue
            before += len(engine.findings(root))
            result = fix_project(engine, root, unsafe=args.unsafe)
            after_in_memory += len(engine.findings(root))  # the workspace holds the fixed texts
            engine.forget(root)  # the report comes from a fresh read of the disk (below)
            for path in result.refused:
                notes.append(
                    f"{display_path(path)}: a fix would leave it unparsable; left as it was"
                )
            for path, new in sorted(result.fixed.items()):
                if args.diff:
                    changed += 1
                    progress.done()
                    lines = unified_diff(path, result.original[path], new)
                    sys.stdout.writelines(colour_diff(lines, diff_style))
                    continue
                try:
                    write_fixed(path, new, root)
                    changed += 1
                except LeftAlone as why:
                    notes.append(f"{display_path(path)}: {why}")
                except OSError as err:
                    failed = True
                    notes.append(f"cannot write {display_path(path)}: {err.strerror or err}")
    finally:
        progress.done()
    for line in notes:
        note(line)
    if args.diff:
        fixable = max(before - after_in_memory, 0)
        print(
            f"Would fix {plural(fixable, 'problem')} in {plural(changed, 'file')} "
            f"of {plural(len(roots), 'project')}.",
            file=sys.stderr,
        )
        return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_CLEAN
    # from disk: what a fresh check says (the settings problems were said above)
    after = engine.fresh()
    remaining = report(args.format, after, roots, style, jobs, before, args.unsafe, False)
    code = EXIT_FINDINGS if remaining.tally.problems and not args.exit_zero else EXIT_CLEAN
    return EXIT_ERROR if failed or remaining.error else code
