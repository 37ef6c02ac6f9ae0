"""`mpg-lsp`: serve LSP on stdio (the default), or check and fix projects from a terminal, CI
or a pre-commit hook.

The check path imports only the engine (tree-sitter and the rules), never pygls, so it starts
fast. Exit codes: 0 nothing found, 1 findings (or, for `fix --diff`, changes to make), 2 an
error (a bad path or flag, a file that cannot be written, a crash).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mpg_lsp import __version__
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.output import (
    Progress,
    Style,
    check_summary,
    colour_diff,
    display_path,
    dumps,
    fix_summary,
    github_lines,
    json_findings,
    plural,
    render_markdown,
    rule_header,
    rules_json,
    rules_text,
    sarif_log,
    text_lines,
    want_colour,
)
from mpg_lsp.records import replace
from mpg_lsp.rules import REGISTRY, Finding
from mpg_lsp.settings import Problem, Settings, apply_layer
from mpg_lsp.syntax.document import Document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "sarif", "github")


class UsageError(Exception):
    """A bad command line: exit 2 with the message."""


# -- the command line's settings layer ------------------------------------------------------


def rule_codes(values: Sequence[str], flag: str) -> frozenset[str] | None:
    """The registered codes that ``--select``/``--ignore`` values name: codes or prefixes
    (``MPG2``, ``MPG2*``), comma-separated or repeated. None when the flag was not given."""
    if not values:
        return None
    codes: set[str] = set()
    for value in values:
        for item in value.split(","):
            prefix = item.strip().upper().rstrip("*")
            if not prefix:
                continue
            matched = {code for code in REGISTRY if code.startswith(prefix)}
            if not matched:
                raise UsageError(
                    f"{flag} {item.strip()}: no rule code starts with it (`mpg-lsp rules` lists them)"
                )
            codes |= matched
    return frozenset(codes) or None


def config_overrides(values: Sequence[str]) -> dict[str, Any]:
    """``--config 'pool-mode = "session"'``: settings in .mpg-lsp.toml's syntax that win over
    the file, as ruff's ``--config`` does. A bad one is an error here, not a warning."""
    table: dict[str, Any] = {}
    for value in values:
        try:
            table.update(tomllib.loads(value))
        except tomllib.TOMLDecodeError as err:
            raise UsageError(f"--config {value!r} is not TOML `key = value`: {err}") from None
    problems = apply_layer(Settings(), table, "--config")[1]
    if problems:
        raise UsageError(
            "; ".join(
                f"--config: {p.message.removesuffix('; using the default')}" for p in problems
            )
        )
    return table


def narrow(
    settings: Settings, select: frozenset[str] | None, ignore: frozenset[str] | None
) -> Settings:
    """The project's settings with the command line's selection on top: ``--select`` and
    ``--ignore`` can only take rules away from what .mpg-lsp.toml (over the defaults) runs."""
    if select is None and not ignore:
        return settings
    allowed = frozenset(
        code
        for code in REGISTRY
        if settings.rule_enabled(code)
        and (select is None or code in select)
        and code not in (ignore or ())
    )
    return replace(settings, select=allowed)


class CommandLineEngine(Engine):
    """The shared engine with a third settings layer, the command line's, over the project's
    .mpg-lsp.toml (which is over the editor's, empty here, over the defaults): ``--config``
    values win over the file, then ``--select``/``--ignore`` narrow what runs."""

    def __init__(
        self,
        select: frozenset[str] | None = None,
        ignore: frozenset[str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.select = select
        self.ignore = ignore
        self.overrides = dict(overrides or {})

    def settings(self, root: str) -> tuple[Settings, list[Problem]]:
        settings, problems = super().settings(root)
        settings = apply_layer(settings, self.overrides, "--config")[0]
        return narrow(settings, self.select, self.ignore), problems

    def fresh(self) -> CommandLineEngine:
        """The same layers over a new workspace, read from disk again."""
        return CommandLineEngine(self.select, self.ignore, self.overrides)


# -- arguments ------------------------------------------------------------------------------


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal width up front: left to find it, it imports
    ``shutil`` (and the compression modules that pulls in) on every start, help or not."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=max(_terminal_columns() - 2, 40))


def _terminal_columns() -> int:
    """What ``shutil.get_terminal_size`` answers: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpg-lsp",
        formatter_class=_HelpFormatter,
        description="Language server and checker for Phoenix/Ecto/Oban on Fly.io Managed Postgres.",
        epilog="Without a command, mpg-lsp serves LSP on stdio. Exit codes: 0 clean, 1 findings, 2 error.",
    )
    parser.add_argument("--version", action="version", version=f"mpg-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve LSP on stdio (the default)")

    colour = argparse.ArgumentParser(add_help=False, formatter_class=_HelpFormatter)
    colour.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (on a terminal, unless NO_COLOR is set or FORCE_COLOR asks), always, never",
    )
    colour.add_argument(
        "--no-color",
        "--no-colour",
        dest="color",
        action="store_const",
        const="never",
        help="same as --color never",
    )

    report = argparse.ArgumentParser(add_help=False, formatter_class=_HelpFormatter)
    report.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="project folders, folders holding projects, or files of a project (default: .)",
    )
    report.add_argument(
        "--format",
        "--output-format",
        choices=FORMATS,
        default="text",
        help="text (default), json, sarif (SARIF 2.1.0) or github (workflow annotations)",
    )
    report.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated (MPG1,MPG301); "
        "narrows what .mpg-lsp.toml runs",
    )
    report.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="never these rule codes or prefixes, comma-separated",
    )
    report.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting in .mpg-lsp.toml syntax that wins over the file: "
        "--config 'pool-mode = \"session\"'",
    )
    report.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when something is found"
    )
    report.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff; write nothing"
    )
    report.add_argument(
        "--unsafe",
        action="store_true",
        help="also apply fixes not marked safe (fixes that edit several files)",
    )

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, formatter_class=_HelpFormatter, **kwargs)

    serve = command("serve", help="serve LSP on stdio")
    serve.add_argument("--stdio", action="store_true", help="accepted for editor clients")
    check = command(
        "check",
        parents=[report, colour],
        help="check projects and print what is found",
        description="Check projects and print what is found.",
    )
    check.add_argument("--fix", action="store_true", help="apply the fixes first, as `mpg-lsp fix`")
    command(
        "fix",
        parents=[report, colour],
        help="apply the preferred fix of every finding",
        description="Apply the preferred fix of every finding, then report what remains.",
    )
    rules = command("rules", parents=[colour], help="list the rules")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    explain = command("explain", parents=[colour], help="show a rule's page")
    explain.add_argument(
        "code", metavar="CODE", help="a rule code (MPG101) or name (prepare-unnamed-missing)"
    )
    command("settings-schema", help="print the JSON schema of the editor settings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a message must never fail on a non-UTF-8 locale
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        if args.command in (None, "serve"):
            from mpg_lsp.lsp.server import serve

            serve()
            return EXIT_CLEAN
        if args.command in ("check", "fix"):
            return _check(args)
        if args.command == "rules":
            return _rules(args.format, Style(want_colour(sys.stdout, args.color)))
        if args.command == "explain":
            return _explain(args.code, Style(want_colour(sys.stdout, args.color)))
        if args.command == "settings-schema":
            from mpg_lsp.settings import json_schema

            print(dumps(json_schema()))
            return EXIT_CLEAN
    except UsageError as err:
        print(f"mpg-lsp: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:  # `mpg-lsp check | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception:  # noqa: BLE001  (a crash must not read as "findings", exit 1, in CI)
        import traceback

        traceback.print_exc()
        print(
            f"mpg-lsp {__version__}: internal error; please report it with the trace above",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_ERROR  # pragma: no cover


# -- check and fix --------------------------------------------------------------------------


def _roots(engine: Engine, paths: list[str]) -> list[str]:
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


def _settings_problems(engine: Engine, root: str) -> list[str]:
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


def _report(
    fmt: str,
    engine: Engine,
    roots: list[str],
    style: Style,
    summary: Callable[[list[Finding]], str],
    settings_problems: bool = True,
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
            problems = _settings_problems(engine, root) if settings_problems else []
            found = engine.findings(root)
            findings.extend(found)
            if problems or (streaming and found):
                progress.done()  # write on a clean line; the next step redraws it
            for problem in problems:
                print(problem, file=sys.stderr)
            if streaming:
                lines = (
                    text_lines(found, engine.ws.get, style)
                    if fmt == "text"
                    else github_lines(found, engine.ws.get)
                )
                for line in lines:
                    print(line)
            else:
                quoted.update((path, engine.ws.get(path)) for path in _quoted_paths(found))
            engine.forget(root)
    finally:
        progress.done()
    if fmt == "json":
        print(dumps(json_findings(findings, quoted.get, REGISTRY)))
    elif fmt == "sarif":
        print(dumps(sarif_log(findings, quoted.get, REGISTRY)))
    else:
        print(summary(findings))
    return findings


def _check(args: argparse.Namespace) -> int:
    select = rule_codes(args.select, "--select")
    ignore = rule_codes(args.ignore, "--ignore")
    fixing = args.command == "fix" or args.fix or args.diff
    engine = CommandLineEngine(select, ignore, config_overrides(args.config))
    roots = _roots(engine, args.paths)
    style = Style(want_colour(sys.stdout, args.color) and args.format == "text")
    if fixing:
        return _fix(args, engine, roots, style)
    findings = _report(
        args.format, engine, roots, style, lambda found: check_summary(found, len(roots), style)
    )
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN


def write_atomically(path: str, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it over the original, so
    a failure midway leaves the original intact. The file's permissions are kept."""
    import tempfile

    folder = os.path.dirname(path) or "."
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".mpg-lsp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _diff_name(side: str, path: str) -> str:
    shown = display_path(path)
    return shown if os.path.isabs(shown) else f"{side}/{shown}"


def _fix(
    args: argparse.Namespace, engine: CommandLineEngine, roots: list[str], style: Style
) -> int:
    import difflib  # only `fix --diff` needs it

    """Apply (or with --diff, show) every preferred fix, then report what remains, as
    ``ruff check --fix`` does."""
    from mpg_lsp.fixing import fix_project

    before = 0
    after_in_memory = 0
    changed = 0
    problems: list[str] = []
    progress = Progress(len(roots))
    diff_style = Style(want_colour(sys.stdout, args.color))
    try:
        for done, root in enumerate(roots):
            progress.step(done + 1, f"fixing {display_path(root)}")
            problems += _settings_problems(engine, root)
            before += len(engine.findings(root))
            result = fix_project(engine, root, unsafe=args.unsafe)
            after_in_memory += len(engine.findings(root))  # the workspace holds the fixed texts
            engine.forget(root)  # the report comes from a fresh read of the disk (below)
            for path in result.refused:
                problems.append(
                    f"mpg-lsp: {display_path(path)}: a fix would leave it unparsable; left as it was"
                )
            for path, new in sorted(result.fixed.items()):
                changed += 1
                if args.diff:
                    old = result.original[path]
                    lines = difflib.unified_diff(
                        old.decode("utf-8", "replace").splitlines(keepends=True),
                        new.decode("utf-8", "replace").splitlines(keepends=True),
                        fromfile=_diff_name("a", path),
                        tofile=_diff_name("b", path),
                    )
                    progress.done()
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
            f"Would fix {plural(fixable, 'problem')} in {plural(changed, 'file')} of {plural(len(roots), 'project')}.",
            file=sys.stderr,
        )
        return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_CLEAN
    after = engine.fresh()  # from disk: what a fresh check says

    def summary(remaining: list[Finding]) -> str:
        return fix_summary(
            max(before - len(remaining), 0), remaining, len(roots), args.unsafe, style
        )

    remaining = _report(
        args.format, after, roots, style, summary, settings_problems=False
    )  # said above
    return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN


# -- rules and explain ----------------------------------------------------------------------


def rules_table() -> str:
    """The rule table of the README, generated from the registry."""
    lines = ["| Code | Name | Default severity | Fix | What it catches |", "|---|---|---|---|---|"]
    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        fix = "yes" if rule.fixable else "no"
        lines.append(
            f"| [{rule.code}]({rule.url}) | {rule.name} | {rule.severity} | {fix} | {rule.summary} |"
        )
    return "\n".join(lines)


def _rules(fmt: str, style: Style) -> int:
    ordered = sorted(REGISTRY.values(), key=lambda r: r.code)
    if fmt == "markdown":
        print(rules_table())
    elif fmt == "json":
        print(dumps(rules_json(ordered)))
    else:
        for line in rules_text(ordered, style):
            print(line)
    return EXIT_CLEAN


def _explain(code: str, style: Style) -> int:
    import difflib  # for "did you mean"

    wanted = code.strip()
    by_name = {rule.name: rule for rule in REGISTRY.values()}
    rule = REGISTRY.get(wanted.upper()) or by_name.get(wanted.lower())
    if rule is None:
        close = difflib.get_close_matches(wanted.upper(), list(REGISTRY), n=3, cutoff=0.6)
        close += difflib.get_close_matches(wanted.lower(), list(by_name), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(f"unknown rule {code}{hint} (`mpg-lsp rules` lists them)")
    title, _, body = rule.docs().partition("\n")
    page = f"{title}\n\n{rule_header(rule)}\n{body}"
    sys.stdout.write(render_markdown(page, style))
    return EXIT_CLEAN
