"""`mpg-lsp`: serve LSP on stdio (the default), or check a project from the terminal.

The check path imports only the engine (tree-sitter and the rules), never pygls, so it
starts fast in CI and pre-commit hooks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from mpg_lsp import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mpg-lsp",
        description="Language server and checker for Phoenix/Ecto/Oban on Fly.io Managed Postgres.",
    )
    parser.add_argument("--version", action="version", version=f"mpg-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve LSP on stdio (the default)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve LSP on stdio")
    serve.add_argument("--stdio", action="store_true", help="accepted for editor clients")
    check = sub.add_parser("check", help="check projects and print findings")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=["text", "json"], default="text")
    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=["text", "markdown"], default="text")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("code")
    sub.add_parser("settings-schema", help="print the JSON schema of the editor settings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command in (None, "serve"):
            from mpg_lsp.lsp.server import serve

            serve()
            return EXIT_CLEAN
        if args.command == "check":
            return _check(args.paths, args.format)
        if args.command == "rules":
            return _rules(args.format)
        if args.command == "explain":
            return _explain(args.code)
        if args.command == "settings-schema":
            from mpg_lsp.settings import json_schema

            print(json.dumps(json_schema(), indent=2))
            return EXIT_CLEAN
    except KeyboardInterrupt:
        return EXIT_ERROR
    return EXIT_ERROR  # pragma: no cover


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _check(paths: list[str], fmt: str) -> int:
    from mpg_lsp.engine import Engine, discover_projects

    engine = Engine()
    roots: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            print(f"mpg-lsp: no such file or folder: {path}", file=sys.stderr)
            return EXIT_ERROR
        roots.extend(r for r in discover_projects(path, engine.fs) if r not in roots)
    if not roots:
        print(f"mpg-lsp: no Elixir project (mix.exs) found in {', '.join(paths)}", file=sys.stderr)
        return EXIT_ERROR
    results = []
    for root in roots:
        for problem in engine.settings(root)[1]:
            where = os.path.join(root, problem.source) if problem.source.startswith(".") else problem.source
            print(f"mpg-lsp: {_display(where)}: {problem.message}", file=sys.stderr)
        view = engine.view(root)
        for finding in engine.findings(root):
            doc = view.docs[finding.path]
            start = doc.position_at(finding.start, "utf-32")
            end = doc.position_at(finding.end, "utf-32")
            results.append((finding, start, end))
    if fmt == "json":
        print(
            json.dumps(
                [
                    {
                        "code": f.code,
                        "message": f.message,
                        "severity": f.severity,
                        "path": _display(f.path),
                        "start": {"line": s[0] + 1, "column": s[1] + 1},
                        "end": {"line": e[0] + 1, "column": e[1] + 1},
                        "fixes": [fix.title for fix in f.fixes],
                    }
                    for f, s, e in results
                ],
                indent=2,
            )
        )
    else:
        for f, s, _ in results:
            print(f"{_display(f.path)}:{s[0] + 1}:{s[1] + 1}: {f.code} {f.message}")
        fixable = sum(1 for f, _, _ in results if f.fixes)
        projects = f"{len(roots)} project{'s' if len(roots) != 1 else ''}"
        if results:
            print(f"Found {len(results)} problem{'s' if len(results) != 1 else ''} "
                  f"({fixable} fixable) in {projects}.")
        else:
            print(f"All checks passed ({projects}).")
    return EXIT_FINDINGS if results else EXIT_CLEAN


def rules_table() -> str:
    """The rule table of the README, generated from the registry."""
    from mpg_lsp.rules import REGISTRY

    lines = ["| Code | Name | Default severity | Fix | What it catches |", "|---|---|---|---|---|"]
    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        fix = "yes" if rule.fixable else "no"
        lines.append(f"| [{rule.code}]({rule.url}) | {rule.name} | {rule.severity} | {fix} | {rule.summary} |")
    return "\n".join(lines)


def _rules(fmt: str) -> int:
    from mpg_lsp.rules import REGISTRY

    if fmt == "markdown":
        print(rules_table())
        return EXIT_CLEAN
    for rule in sorted(REGISTRY.values(), key=lambda r: r.code):
        print(f"{rule.code}  {rule.name:<32} {rule.severity:<8} {rule.summary}")
    return EXIT_CLEAN


def _explain(code: str) -> int:
    from mpg_lsp.rules import REGISTRY

    rule = REGISTRY.get(code.upper())
    if rule is None:
        print(f"mpg-lsp: unknown rule {code}; `mpg-lsp rules` lists them", file=sys.stderr)
        return EXIT_ERROR
    print(rule.docs())
    return EXIT_CLEAN
