"""The engine the server, the CLI and the tests share: a workspace of documents, the projects
they belong to, each project's settings, and the findings of the rules."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from mpg_lsp.project.filesystem import DiskFileSystem, FileSystem
from mpg_lsp.project.model import ProdView, Project
from mpg_lsp.project.workspace import Workspace, find_root
from mpg_lsp.records import replace
from mpg_lsp.rules import Finding, named_codes, run, unknown_rule
from mpg_lsp.settings import Problem, Settings, resolve

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


PROJECT_SETTINGS = ".mpg-lsp.toml"


class Engine:
    def __init__(self, fs: FileSystem | None = None) -> None:
        self.fs = fs or DiskFileSystem()
        self.ws = Workspace(self.fs)
        self.projects: dict[str, Project] = {}
        self._editor: Mapping[str, Any] = {}
        self._editor_by_folder: Mapping[str, Mapping[str, Any]] = {}
        self._generation = 0  # moves whenever the editor's settings change
        self._settings: dict[str, tuple[object, Settings, list[Problem]]] = {}
        self._roots: dict[str, str | None] = {}

    @property
    def editor_settings(self) -> Mapping[str, Any]:
        """The editor's settings for projects outside every workspace folder."""
        return self._editor

    @editor_settings.setter
    def editor_settings(self, value: Mapping[str, Any]) -> None:
        self.configure(value, {}, self._generation + 1)

    def configure(
        self,
        default: Mapping[str, Any],
        by_folder: Mapping[str, Mapping[str, Any]],
        generation: int,
    ) -> None:
        """The editor's settings: ``default``, or those of the folder a project is in.
        ``generation`` names this change (the settings cache is keyed on it)."""
        self._editor = default
        self._editor_by_folder = by_folder
        self._generation = generation

    def editor_settings_for(self, root: str) -> Mapping[str, Any]:
        """The editor's settings of the innermost workspace folder holding ``root``, else of
        a folder inside it (a folder opened on one app of an umbrella), else the default."""
        inside = [f for f in self._editor_by_folder if _within(root, f)]
        if inside:
            return self._editor_by_folder[max(inside, key=len)]
        below = sorted(f for f in self._editor_by_folder if _within(f, root))
        return self._editor_by_folder[below[0]] if below else self._editor

    def root_of(self, path: str) -> str | None:
        if path not in self._roots:
            self._roots[path] = find_root(path, self.fs)
        return self._roots[path]

    def files_changed(self, paths: list[str] | None = None) -> None:
        """Files changed, appeared or vanished on disk (None: anything may have)."""
        if paths is None:
            self.ws.invalidate(None)
        else:
            for path in paths:
                self.ws.invalidate(path)
        self._roots.clear()

    def project(self, root: str) -> Project:
        project = self.projects.get(root)
        if project is None:
            project = self.projects[root] = Project(self.ws, root)
        return project

    def project_for(self, path: str) -> Project | None:
        root = self.root_of(path)
        return self.project(root) if root is not None else None

    def settings(self, root: str) -> tuple[Settings, list[Problem]]:
        """The project's settings: .mpg-lsp.toml over the editor's over the defaults."""
        doc_path = os.path.join(root, PROJECT_SETTINGS)
        raw = (
            self.fs.read(doc_path)
            if doc_path not in self.ws.open_docs
            else self.ws.open_docs[doc_path].text
        )
        key = (raw, self._generation)
        cached = self._settings.get(root)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        table: Mapping[str, Any] | None = None
        problems: list[Problem] = []
        if raw is not None:
            try:
                table = tomllib.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
                lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
                where = str(err).replace("(at end of document)", f"(at its end, line {lines})")
                import re  # only for a broken file

                found = re.search(r"\(at (?:its end, )?line (\d+)", where)
                problems.append(
                    Problem(
                        "",
                        f"cannot read {PROJECT_SETTINGS}: not valid TOML: {where}",
                        PROJECT_SETTINGS,
                        fatal=True,
                        line=int(found.group(1)) - 1 if found else None,
                    )
                )
        editor = self.editor_settings_for(root)
        settings, more = resolve(editor, table)
        layers = [(editor, "editor settings"), (table, PROJECT_SETTINGS)]
        settings, unknown = rule_selection(settings, layers)
        problems += more + unknown
        self._settings[root] = (key, settings, problems)
        return settings, problems

    def forget(self, root: str) -> None:
        """Drop a project and what was read for it (the CLI, once the project is reported)."""
        self.projects.pop(root, None)
        self._settings.pop(root, None)
        self._roots = {path: r for path, r in self._roots.items() if r != root}
        self.ws.forget(root)

    def view(self, root: str) -> ProdView:
        return self.project(root).view(self.settings(root)[0])

    def findings(self, root: str) -> list[Finding]:
        return run(self.view(root))


def rule_selection(
    settings: Settings, layers: list[tuple[Mapping[str, Any] | None, str]]
) -> tuple[Settings, list[Problem]]:
    """``select`` and ``ignore`` as the codes they name (rule names and ``ALL`` too, as on
    the command line). An item that names no rule is a problem of the layer that has it,
    said as the command line says it."""
    problems: list[Problem] = []
    for raw, source in layers:
        for key in ("select", "ignore"):
            given = raw.get(key) if isinstance(raw, Mapping) else None
            listed = [given] if isinstance(given, str) else given
            for item in listed if isinstance(listed, (list, tuple)) else []:
                if isinstance(item, str) and item.strip() and not named_codes(item):
                    problems.append(Problem(key, unknown_rule(f"`{key}`", item), source))
    chosen: dict[str, frozenset[str]] = {}
    for key in ("select", "ignore"):
        current: frozenset[str] | None = getattr(settings, key)
        if current:
            chosen[key] = frozenset(code for item in current for code in named_codes(item))
    return (replace(settings, **chosen) if chosen else settings), problems


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def discover_projects(
    path: str, fs: FileSystem | None = None, limit: int | None = None
) -> list[str]:
    """Project roots at or under ``path`` (a folder), or the project of a file; ``limit``
    bounds how many folders are looked into."""
    fs = fs or DiskFileSystem()
    path = os.path.abspath(path)
    if fs.is_file(path):
        root = find_root(path, fs)
        return [root] if root else []
    if fs.is_file(os.path.join(path, "mix.exs")):
        root = find_root(path, fs)
        return [root or path]
    roots: list[str] = []
    skip = {"deps", "_build", "node_modules", ".git", ".elixir_ls", "cover", "priv", "assets"}
    for walked, (current, dirs, files) in enumerate(os.walk(path)):
        if limit is not None and walked >= limit:
            break
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        if "mix.exs" in files:
            root = find_root(current, fs) or current
            if root not in roots:
                roots.append(root)
            dirs[:] = (
                [] if root == current and not fs.is_dir(os.path.join(current, "apps")) else dirs
            )
            if root == current:
                dirs[:] = []
    return roots
