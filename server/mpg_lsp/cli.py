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
    fix = sub.add_parser("fix", help="apply the preferred fix of every finding")
    fix.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    fix.add_argument("--diff", action="store_true", help="show what would change; write nothing")
    fix.add_argument("--unsafe", action="store_true", help="also apply fixes not marked safe (multi-file)")
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
        if args.command == "fix":
            return _fix(args.paths, args.diff, args.unsafe)
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


def _roots(engine: object, paths: list[str]) -> list[str] | None:
    from mpg_lsp.engine import discover_projects

    roots: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            print(f"mpg-lsp: no such file or folder: {path}", file=sys.stderr)
            return None
        roots.extend(r for r in discover_projects(path, engine.fs) if r not in roots)  # type: ignore[attr-defined]
    if not roots:
        print(f"mpg-lsp: no Elixir project (mix.exs) found in {', '.join(paths)}", file=sys.stderr)
        return None
    return roots


def _report(engine: object, roots: list[str], fmt: str, settings_problems: bool = True) -> int:
    """Print every finding of ``roots``; the number of findings."""
    results = []
    for root in roots:
        if settings_problems:
            for problem in engine.settings(root)[1]:  # type: ignore[attr-defined]
                where = os.path.join(root, problem.source) if problem.source.startswith(".") else problem.source
                print(f"mpg-lsp: {_display(where)}: {problem.message}", file=sys.stderr)
        view = engine.view(root)  # type: ignore[attr-defined]
        for finding in engine.findings(root):  # type: ignore[attr-defined]
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
    return len(results), sum(1 for f, _, _ in results if any(x.preferred for x in f.fixes))  # type: ignore[return-value]


def _projects(roots: list[str]) -> str:
    return f"{len(roots)} project{'s' if len(roots) != 1 else ''}"


def _check(paths: list[str], fmt: str) -> int:
    from mpg_lsp.engine import Engine

    engine = Engine()
    roots = _roots(engine, paths)
    if roots is None:
        return EXIT_ERROR
    found, fixable = _report(engine, roots, fmt)  # type: ignore[misc]
    if fmt == "text":
        if found:
            print(f"Found {found} problem{'s' if found != 1 else ''} ({fixable} fixable with `mpg-lsp fix`) in {_projects(roots)}.")
        else:
            print(f"All checks passed ({_projects(roots)}).")
    return EXIT_FINDINGS if found else EXIT_CLEAN


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
    shown = _display(path)
    return shown if os.path.isabs(shown) else f"{side}/{shown}"


def _fix(paths: list[str], diff: bool, unsafe: bool) -> int:
    import difflib

    from mpg_lsp.engine import Engine
    from mpg_lsp.fixing import fix_project

    engine = Engine()
    roots = _roots(engine, paths)
    if roots is None:
        return EXIT_ERROR
    applied = 0
    for root in roots:
        result = fix_project(engine, root, unsafe=unsafe)
        applied += result.applied
        for path in result.refused:
            print(f"mpg-lsp: {_display(path)}: a fix would leave it unparsable; left as it was", file=sys.stderr)
        for path, new in sorted(result.fixed.items()):
            old = result.original[path]
            if diff:
                sys.stdout.writelines(
                    difflib.unified_diff(
                        old.decode("utf-8", "replace").splitlines(keepends=True),
                        new.decode("utf-8", "replace").splitlines(keepends=True),
                        fromfile=_diff_name("a", path),
                        tofile=_diff_name("b", path),
                    )
                )
                continue
            try:
                write_atomically(path, new)
            except OSError as err:
                print(f"mpg-lsp: cannot write {_display(path)}: {err.strerror or err}", file=sys.stderr)
                return EXIT_ERROR
    if diff:
        print(f"Would fix {applied} problem{'s' if applied != 1 else ''} in {_projects(roots)}.", file=sys.stderr)
        return EXIT_FINDINGS if applied else EXIT_CLEAN
    after = Engine()  # read back from disk: what remains is what a fresh check would say
    remaining, _ = _report(after, roots, "text", settings_problems=False)  # type: ignore[misc]
    print(f"Fixed {applied} problem{'s' if applied != 1 else ''}; {remaining} remaining in {_projects(roots)}.")
    return EXIT_FINDINGS if remaining else EXIT_CLEAN


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
