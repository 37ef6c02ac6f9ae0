"""The command line's grammar: commands, their flags and help."""

from __future__ import annotations

import argparse
from typing import Any

from mpg_lsp import __version__
from mpg_lsp.cli.terminal import terminal_columns

FORMATS = ("text", "json", "sarif", "github")


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal width up front: left to find it, it imports
    ``shutil`` (and the compression modules that pulls in) on every start, help or not."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=max(terminal_columns() - 2, 40))


def _colour_flags() -> argparse.ArgumentParser:
    colour = argparse.ArgumentParser(add_help=False, formatter_class=_HelpFormatter)
    colour.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (on a terminal, unless NO_COLOR is set or FORCE_COLOR "
        "asks), always, never",
    )
    colour.add_argument(
        "--no-color",
        "--no-colour",
        dest="color",
        action="store_const",
        const="never",
        help="same as --color never",
    )
    return colour


def _report_flags() -> argparse.ArgumentParser:
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
        help="only these rules: codes, prefixes, names or ALL, comma-separated "
        "(MPG1,MPG301); narrows what .mpg-lsp.toml runs",
    )
    report.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="never these rules: codes, prefixes or names, comma-separated",
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
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="check N projects at a time (default: one per core); the output order does not change",
    )
    report.add_argument(
        "--diff", action="store_true", help="print the fixes as a diff; write nothing"
    )
    report.add_argument(
        "--unsafe",
        action="store_true",
        help="also apply fixes not marked safe (fixes that edit several files)",
    )
    return report


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mpg-lsp",
        formatter_class=_HelpFormatter,
        description="Language server and checker for Phoenix/Ecto/Oban on Fly.io Managed Postgres.",
        epilog="Without a command, mpg-lsp serves LSP on stdio. Exit codes: 0 clean, "
        "1 findings, 2 error.",
    )
    top.add_argument("--version", action="version", version=f"mpg-lsp {__version__}")
    top.add_argument("--stdio", action="store_true", help="serve LSP on stdio (the default)")
    colour, report = _colour_flags(), _report_flags()

    sub = top.add_subparsers(dest="command", metavar="COMMAND")

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
    explain = command(
        "explain",
        parents=[colour],
        help="show a rule's page, or what a pasted error means",
        description="Show a rule's page, or the likely cause of an error or log line and the "
        "rule that prevents it.",
    )
    explain.add_argument(
        "code",
        metavar="CODE|NAME|TEXT",
        nargs="+",
        help="a rule code (MPG101) or name (prepare-unnamed-missing), or an error or log line "
        '(quoted, or its words; "-" reads it from stdin)',
    )
    command("settings-schema", help="print the JSON schema of the editor settings")
    return top
