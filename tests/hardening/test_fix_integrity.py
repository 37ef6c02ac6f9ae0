"""Fixes never corrupt: every fix of every finding (quick fixes one at a time, as an editor
applies them, and fix-all pass after pass, as `mpg-lsp fix --unsafe` does), applied to layout
variations of every rule fixture, leaves a file that Elixir's own parser or tomllib accepts
(whenever the original did), with the file's line endings and indentation kept.

Variations: CRLF, CR, tabs, 4-space indentation, trailing commas, comments after the last
pair, emoji and CJK before the edit point, and combinations. Elixir and TOML both reject a
lone CR as a line break, so a CR file is judged with its CRs read as LFs (after checking the
fix wrote no LF into it). All Elixir files go to one `elixir` process."""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness import FIGURES
from mpg_lsp.engine import Engine, discover_projects
from mpg_lsp.rules.edits import apply_edits, preferred_edits
from projects import FIXTURES, copy_project, elixir_errors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.endswith(".fixed"))
TEXT_SUFFIXES = (".exs", ".ex", ".toml", ".lock")  # mix.lock is Elixir too
_LEADING = re.compile(r"^[ \t]*", re.MULTILINE)


# -- layout variations (on LF text; line endings last) ----------------------------------------


def _indent(text: str, unit: str) -> str:
    return _LEADING.sub(lambda m: unit * (len(m.group()) // 2) + " " * (len(m.group()) % 2), text)


def _trailing_commas(text: str, suffix: str) -> str:
    # the last item of a multi-line bracketed list gets a comma, as `mix format` leaves it
    return re.sub(r"([\w\"')\]}])([ \t]*)(\n[ \t]*\])", r"\1,\2\3", text)


def _comments(text: str, suffix: str) -> str:
    # a comment after every line that ends a pair or closes a list (not inside heredocs)
    out, in_heredoc = [], False
    for line in text.split("\n"):
        if line.count('"""') % 2 or line.count("'''") % 2:
            in_heredoc = not in_heredoc
            out.append(line)
            continue
        if (
            not in_heredoc
            and "#" not in line
            and re.search(r"[\w\"')\]},]$", line)
            and not line.rstrip().endswith("\\")
        ):
            line += "  # note, é 🚀"
        out.append(line)
    return "\n".join(out)


def _emoji(text: str, suffix: str) -> str:
    text = text.replace("# ", "# 🚀 日本 ")
    if suffix == ".toml":
        return 'emoji_note = "🚀 café 日本"\n' + text
    if "import Config\n" in text:
        return text.replace(
            "import Config\n", 'import Config\nemoji_note = "🚀 café 日本 \\u{1F680}"\n', 1
        )
    return text


def _ident(text: str, suffix: str) -> str:
    return text


LAYOUT: dict[str, Callable[[str, str], str]] = {
    "tabs": lambda t, s: _indent(t, "\t"),
    "indent4": lambda t, s: _indent(t, "    "),
    "trailing_commas": _trailing_commas,
    "comments": _comments,
    "emoji": _emoji,
}
VARIANTS: dict[str, tuple[tuple[str, ...], str]] = {  # name: (layout steps, line ending)
    "lf": ((), "\n"),
    "crlf": ((), "\r\n"),
    "cr": ((), "\r"),
    "tabs": (("tabs",), "\n"),
    "indent4": (("indent4",), "\n"),
    "crlf_tabs_emoji": (("tabs", "emoji"), "\r\n"),
    "cr_comments_commas": (("trailing_commas", "comments"), "\r"),
    "crlf_indent4_comments": (("indent4", "comments"), "\r\n"),
    "commas_comments_emoji": (("trailing_commas", "comments", "emoji"), "\n"),
}


def make_variant(case: str, variant: str, dst: Path) -> Path:
    root = copy_project(FIXTURES / case, dst)
    steps, eol = VARIANTS[variant]
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            for step in steps:
                text = LAYOUT[step](text, path.suffix)
            path.write_bytes(text.replace("\n", eol).encode("utf-8"))
    return root


# -- applying fixes ----------------------------------------------------------------------------


@dataclass
class Outcome:
    label: str
    path: Path  # the file in the variant project
    before: bytes
    after: bytes


def _apply(edits, texts: dict[str, bytes]) -> dict[str, bytes]:
    out = {}
    # deploy files (a Dockerfile, a workflow) have their own oracles in tests/unit/test_rules.py
    for path in sorted({e.path for e in edits} & texts.keys()):
        out[path] = apply_edits(texts[path], [e for e in edits if e.path == path])
    return out


def fix_outcomes(root: Path, label: str) -> list[Outcome]:
    engine = Engine()
    (project,) = discover_projects(str(root), engine.fs)
    findings = engine.findings(project)
    originals = {
        str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
    }
    outcomes = []
    for finding in findings:  # every quick fix, alone, on the original text
        for fix in finding.fixes:
            for path, new in _apply(fix.edits, originals).items():
                outcomes.append(
                    Outcome(
                        f"{label} {finding.code} {fix.title!r}", Path(path), originals[path], new
                    )
                )
    # fix-all, pass after pass, unsafe fixes too; no safety net here (the editor has none)
    texts = dict(originals)
    for _ in range(6):
        for path, text in texts.items():
            if text != originals[path]:
                engine.ws.open(path, text, None)
        edits = preferred_edits(engine.findings(project), safe_only=False)
        if not edits:
            break
        texts.update(_apply(edits, texts))
    for path, text in texts.items():
        if text != originals[path]:
            outcomes.append(Outcome(f"{label} fix-all", Path(path), originals[path], text))
    return outcomes


# -- judging -----------------------------------------------------------------------------------


def _breaks(data: bytes) -> set[bytes]:
    kinds = set()
    if b"\r\n" in data:
        kinds.add(b"\r\n")
    if re.search(rb"\r(?!\n)", data):
        kinds.add(b"\r")
    if re.search(rb"(?<!\r)\n", data):
        kinds.add(b"\n")
    return kinds


def _indent_unit(lines: list[str]) -> tuple[set[str], int]:
    """The whitespace characters indentation uses, and the width every indentation is a
    multiple of (for spaces)."""
    chars: set[str] = set()
    widths = []
    for line in lines:
        lead = _LEADING.match(line).group()  # type: ignore[union-attr]
        if lead and line.strip():
            chars |= set(lead)
            widths.append(len(lead))
    return chars, math.gcd(*widths) if widths else 0


def layout_problems(before: bytes, after: bytes) -> list[str]:
    problems = []
    if not _breaks(after) <= (_breaks(before) or {b"\n"}):
        problems.append(f"line endings {sorted(_breaks(before))} became {sorted(_breaks(after))}")
    old = re.split(r"\r\n|\r|\n", before.decode("utf-8", "replace"))
    new = re.split(r"\r\n|\r|\n", after.decode("utf-8", "replace"))
    chars, unit = _indent_unit(old)
    added = [
        line
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(
            None, old, new, autojunk=False
        ).get_opcodes()
        if tag in ("replace", "insert")
        for line in new[j1:j2]
    ]
    for line in added:
        lead = _LEADING.match(line).group()  # type: ignore[union-attr]
        if not lead or not line.strip():
            continue
        if chars and not set(lead) <= chars:
            problems.append(
                f"indentation {lead!r} in a file indented with {sorted(chars)}: {line!r}"
            )
        elif chars == {" "} and unit > 1 and len(lead) % unit:
            problems.append(f"indentation of {len(lead)} in a file indented by {unit}: {line!r}")
    return problems


def _as_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _toml_ok(data: bytes) -> bool:
    try:
        tomllib.loads(_as_lf(data).decode("utf-8"))
        return True
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def test_every_fix_on_every_layout_keeps_files_valid(tmp_path: Path) -> None:
    outcomes: list[Outcome] = []
    for case in CASES:
        for variant in VARIANTS:
            root = make_variant(case, variant, tmp_path / variant / case)
            outcomes += fix_outcomes(root, f"{case}/{variant}")
    assert len({o.label.split()[0] for o in outcomes}) >= len(CASES) * len(VARIANTS) // 2

    failures: list[str] = []
    for o in outcomes:
        failures += [f"{o.label} {o.path.name}: {p}" for p in layout_problems(o.before, o.after)]

    # the oracles, on LF-normalised copies (identical bytes for LF and CRLF files as far as the
    # parsers care; CR files would fail both parsers before and after)
    oracle = tmp_path / "oracle"
    oracle.mkdir()
    files: dict[bytes, Path] = {}  # one oracle file per distinct text

    def oracle_file(data: bytes, suffix: str) -> Path:
        data = _as_lf(data)
        if data not in files:
            files[data] = oracle / f"{len(files)}{suffix}"
            files[data].write_bytes(data)
        return files[data]

    pairs = []
    for o in outcomes:
        if o.path.suffix == ".toml":
            if _toml_ok(o.before) and not _toml_ok(o.after):
                failures.append(f"{o.label} {o.path.name}: tomllib rejects the fixed file")
        else:
            pairs.append(
                (o, oracle_file(o.before, o.path.suffix), oracle_file(o.after, o.path.suffix))
            )
    errors = elixir_errors(list(files.values()))
    for o, before, after in pairs:
        if str(after) in errors and str(before) not in errors:
            failures.append(
                f"{o.label} {o.path.name}: Elixir rejects the fixed file: {errors[str(after)]}"
            )

    FIGURES["fixes checked"] += len(outcomes)
    FIGURES["corruptions"] += len(failures)
    assert failures == [], "\n".join(failures[:40])
