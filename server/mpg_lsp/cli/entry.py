"""The entry point: parse the command line, run the command, turn what goes wrong into an
exit code and one line on stderr."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from mpg_lsp import __version__
from mpg_lsp.cli.arguments import parser
from mpg_lsp.cli.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_INTERRUPTED, UsageError
from mpg_lsp.cli.terminal import Style, want_colour


def main(argv: Sequence[str] | None = None) -> int:
    from mpg_lsp import cli

    if signal.getsignal(signal.SIGINT) is cli._interrupted_while_loading:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # KeyboardInterrupt from here
    for stream in (sys.stdout, sys.stderr):  # a message must never fail on a non-UTF-8 locale
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        args = parser().parse_args(argv)
        if args.command in (None, "serve"):
            from mpg_lsp.lsp.server import serve

            if sys.stdin.isatty():
                _waiting_for_an_editor()
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
    except KeyboardInterrupt:  # files are never left half written (cli/writing.py)
        print("\nmpg-lsp: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `mpg-lsp check | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as err:  # noqa: BLE001  (a crash must not read as "findings", exit 1, in CI)
        if _interrupted(err):  # Ctrl-C while something was being cleaned up
            print("\nmpg-lsp: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        import traceback

        traceback.print_exc()
        print(
            f"mpg-lsp {__version__}: internal error; please report it with the trace above",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_ERROR  # pragma: no cover


def _interrupted(err: BaseException | None) -> bool:
    """Whether a KeyboardInterrupt is where ``err`` came from."""
    seen = 0
    while err is not None and seen < 20:
        if isinstance(err, KeyboardInterrupt):
            return True
        err, seen = err.__context__, seen + 1
    return False


def _waiting_for_an_editor() -> None:
    """`mpg-lsp` typed on a terminal: say what it is doing, and let one Ctrl-C end it at once
    (the server reads stdin on a thread that a KeyboardInterrupt would not stop)."""
    import signal

    print(
        "mpg-lsp is a language server: it is waiting for an editor to talk to it (LSP on "
        "stdin and stdout).\nTo check a project from the terminal, run `mpg-lsp check [PATH]` "
        "(`mpg-lsp --help` lists the commands). Ctrl-C quits.",
        file=sys.stderr,
        flush=True,
    )

    def quit_now(signum: int, frame: object) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)

    signal.signal(signal.SIGINT, quit_now)
