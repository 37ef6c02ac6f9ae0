"""The entry point: parse the command line, run the command, turn what goes wrong into an
exit code and one line on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from mpg_lsp import __version__
from mpg_lsp.cli.arguments import parser
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_ERROR, UsageError
from mpg_lsp.cli.terminal import Style, want_colour


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
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
            from mpg_lsp.cli.check import run_check

            return run_check(args)
        if args.command == "rules":
            from mpg_lsp.cli.rules import run_rules

            return run_rules(args.format, Style(want_colour(sys.stdout, args.color)))
        if args.command == "explain":
            from mpg_lsp.cli.explain import run_explain

            return run_explain(" ".join(args.code), Style(want_colour(sys.stdout, args.color)))
        if args.command == "settings-schema":
            from mpg_lsp.cli.json import dumps
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
