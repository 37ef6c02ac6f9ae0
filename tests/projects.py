"""Fixture projects and the oracles: Elixir's own parser and tomllib."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mpg_lsp.engine import Engine
    from mpg_lsp.syntax.document import Encoding

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "projects"
SAMPLE = REPO / "examples" / "storefront"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# mix.exs of a plain Ecto + Postgres app, for projects built in memory
MIX = (
    "defmodule A.MixProject do\n"
    '  defp deps, do: [{:ecto_sql, "~> 3.12"}, {:postgrex, ">= 0.0.0"}]\nend\n'
)

EXPECT = re.compile(r"#\s*expect:\s*((?:MPG\d{3}[ ,]*)+)")
# A whole-line comment for the line below it, where a comment cannot share the line (a
# Dockerfile's exec-form JSON, a shell line continued with `\`).
EXPECT_NEXT = re.compile(r"^\s*#\s*expect-next:\s*((?:MPG\d{3}[ ,]*)+)")


def position(
    engine: Engine, path: str, offset: int, encoding: Encoding = "utf-16"
) -> tuple[int, int]:
    """0-based (line, column) of a byte offset in a file the engine has read."""
    doc = engine.ws.get(path)
    assert doc is not None, f"the engine has not read {path}"
    line, column = doc.position_at(offset, encoding)
    return line, column


def expectations(root: Path) -> set[tuple[str, int, str]]:
    """``(relative path, 1-based line, code)`` for every ``# expect: CODE`` annotation."""
    from mpg_lsp.syntax.languages import lang_for_path

    found = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or lang_for_path(str(path)) is None:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            m = EXPECT_NEXT.search(line)
            if m:
                number += 1
            else:
                m = EXPECT.search(line)
            if m:
                for code in re.findall(r"MPG\d{3}", m.group(1)):
                    found.add((path.relative_to(root).as_posix(), number, code))
    return found


def copy_project(src: Path, dst: Path, crlf: bool = False) -> Path:
    shutil.copytree(src, dst)
    if crlf:
        for path in dst.rglob("*"):
            if path.is_file():
                data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                path.write_bytes(data)
    return dst


def elixir_errors(paths: list[Path]) -> dict[str, str]:
    """Elixir's own parser as the oracle: {path: error} for files that do not parse."""
    elixir = shutil.which("elixir")
    if elixir is None:
        pytest.fail("Elixir is not installed: the README's test command installs it (apt elixir)")
    script = (
        "for f <- System.argv() do "
        "case Code.string_to_quoted(File.read!(f)) do "
        '{:ok, _} -> IO.puts("ok\\t" <> f); '
        '{:error, e} -> IO.puts("error\\t" <> f <> "\\t" <> inspect(e)) end end'
    )
    out = subprocess.run(
        [elixir, "-e", script, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    errors = {}
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        if parts[0] == "error":
            errors[parts[1]] = parts[2]
    return errors


def toml_error(path: Path) -> str | None:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        return str(err)
    return None


def _yaml_paths(value: object, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in _yaml_paths(v, f"{prefix}/{k}")} | {prefix}
    if isinstance(value, list):
        return {p for i, v in enumerate(value) for p in _yaml_paths(v, f"{prefix}/{i}")} | {prefix}
    return {prefix}


def _dockerfile_keywords(text: str) -> list[str]:
    """The instruction keywords in order (continuation lines joined), and exec-form JSON
    checked: a broken array would turn an instruction into shell form."""
    import json

    out, continued = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not continued):
            continue
        if not continued:
            keyword, _, args = stripped.partition(" ")
            out.append(keyword.upper())
            if args.strip().startswith("[") and not stripped.endswith("\\"):
                json.loads(args)
        continued = stripped.endswith("\\")
    return out


def text_structure_error(before: Path, after: Path) -> str | None:
    """A fixed deploy file keeps its structure: the workflow's YAML tree (yaml's parser), the
    Dockerfile's instructions, a shell script's syntax (`sh -n`), a Makefile (`make -n`)."""
    old, new = before.read_text(encoding="utf-8"), after.read_text(encoding="utf-8")
    try:
        if after.suffix in (".yml", ".yaml"):
            import yaml

            if _yaml_paths(yaml.safe_load(old)) != _yaml_paths(yaml.safe_load(new)):
                return "the YAML tree changed shape"
        elif after.name.startswith("Dockerfile"):
            if _dockerfile_keywords(old) != _dockerfile_keywords(new):
                return "the Dockerfile's instructions changed"
        elif after.name in ("Makefile", "makefile", "GNUmakefile"):
            out = subprocess.run(
                ["make", "-n", "-f", after.name], cwd=after.parent, capture_output=True, text=True
            )
            if "***" in out.stderr:
                return out.stderr
        else:
            out = subprocess.run(["sh", "-n", str(after)], capture_output=True, text=True)
            if out.returncode != 0:
                return out.stderr
    except Exception as err:  # noqa: BLE001  (any parser error is the answer)
        return repr(err)
    return None


class MemoryFileSystem:
    """A project held in a dict ({relative path: text, or bytes kept as they are}), for model
    tests without a disk."""

    def __init__(self, root: str, files: Mapping[str, str | bytes]) -> None:
        self.root = root.rstrip("/")
        self.files = {
            f"{self.root}/{k}": v.encode("utf-8") if isinstance(v, str) else v
            for k, v in files.items()
        }

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def is_file(self, path: str) -> bool:
        return path in self.files

    def is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.files)

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted({p[len(prefix) :].split("/")[0] for p in self.files if p.startswith(prefix)})

    def stamp(self, path: str) -> object:
        return self.files.get(path)
