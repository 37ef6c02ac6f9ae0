"""Documents by path: editor buffers in front of the disk, with facts cached per revision."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from mpg_lsp.logs import logger
from mpg_lsp.project.elixir_config import ElixirFacts
from mpg_lsp.project.filesystem import FileSystem, read_stamped
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import lang_for_path

T = TypeVar("T")

MAX_LIB_FILES = 3000


def find_root(path: str, fs: FileSystem) -> str | None:
    """The project a file belongs to: the nearest folder with mix.exs (an umbrella's root
    for files under ``apps/<name>/``)."""
    folder = path if fs.is_dir(path) else os.path.dirname(path)
    while True:
        if fs.is_file(os.path.join(folder, "mix.exs")):
            parent = os.path.dirname(folder)
            if os.path.basename(parent) == "apps":
                umbrella = os.path.dirname(parent)
                if fs.is_file(os.path.join(umbrella, "mix.exs")):
                    return umbrella
            return folder
        up = os.path.dirname(folder)
        if up == folder:
            return None
        folder = up


class Workspace:
    def __init__(self, fs: FileSystem) -> None:
        self.fs = fs
        self.open_docs: dict[str, Document] = {}
        self._disk: dict[str, Document | None] = {}
        self._stamps: dict[str, object] = {}  # of each file read from disk, when it was read
        self._raw: dict[str, bytes | None] = {}  # bytes read, for files not parsed unless needed
        self._listings: dict[str, list[str]] = {}
        self._walks: dict[tuple[str, str], list[str]] = {}  # walk() results, until a listing goes
        self._elixir_facts: dict[str, tuple[Document, ElixirFacts]] = {}
        self._derived: dict[tuple[str, str], tuple[Document, int, object]] = {}
        self._broken: set[str] = set()  # files last seen with syntax errors
        self.epoch = 0  # bumped whenever the set of files on disk may have changed

    # -- documents --------------------------------------------------------------------

    def open(self, path: str, text: bytes, version: int | None) -> Document | None:
        lang = lang_for_path(path)
        if lang is None:
            return None
        doc = Document(path, lang, text, version)
        self.open_docs[path] = doc
        return doc

    def close(self, path: str) -> None:
        self.open_docs.pop(path, None)
        self._disk.pop(path, None)
        self._stamps.pop(path, None)
        self._raw.pop(path, None)

    def raw(self, path: str) -> bytes | None:
        """The file's bytes (the editor's buffer when open), read once until it changes: a
        byte search on them decides whether a file is worth parsing at all."""
        doc = self.open_docs.get(path)
        if doc is not None:
            return doc.text
        parsed = self._disk.get(path)
        if parsed is not None:
            return parsed.text
        if path not in self._raw:
            self._raw[path], self._stamps[path] = read_stamped(self.fs, path)
        return self._raw[path]

    def changed_on_disk(self) -> list[str]:
        """Files read from disk that changed since (for editors that do not watch files)."""
        return [path for path, stamp in self._stamps.items() if self.fs.stamp(path) != stamp]

    def get(self, path: str) -> Document | None:
        doc = self.open_docs.get(path)
        if doc is not None:
            return doc
        if path in self._disk:
            return self._disk[path]
        lang = lang_for_path(path)
        data = self.raw(path) if lang is not None else None
        doc = Document(path, lang, data) if (lang is not None and data is not None) else None
        self._disk[path] = doc
        self._raw.pop(path, None)  # the document holds the bytes now
        return doc

    def invalidate(self, path: str | None = None) -> None:
        """A file changed on disk (or anything did, when ``path`` is None)."""
        if path is None:
            self._disk.clear()
            self._stamps.clear()
            self._raw.clear()
        else:
            self._disk.pop(path, None)
            self._raw.pop(path, None)
            self._stamps.pop(path, None)
        self._listings.clear()
        self._walks.clear()
        self.epoch += 1

    def forget(self, folder: str) -> None:
        """Let go of what was read from disk under ``folder`` (documents, facts, listings);
        open documents stay. The CLI calls this after each project, so checking a thousand
        projects holds one project's files at a time."""
        inside = folder.rstrip(os.sep) + os.sep

        def gone(path: str) -> bool:
            return path.startswith(inside) and path not in self.open_docs

        for path in [p for p in self._disk if gone(p)]:
            del self._disk[path]
        for path in [p for p in self._raw if gone(p)]:
            del self._raw[path]
        for path in [p for p in self._stamps if gone(p)]:
            del self._stamps[path]
        for path in [p for p in self._elixir_facts if gone(p)]:
            del self._elixir_facts[path]
        for key in [k for k in self._derived if gone(k[0])]:
            del self._derived[key]
        for name in [f for f in self._listings if f == folder or f.startswith(inside)]:
            del self._listings[name]
        self._walks.clear()
        self._broken = {p for p in self._broken if not gone(p)}

    def listdir(self, folder: str) -> list[str]:
        names = self._listings.get(folder)
        if names is None:
            names = self._listings[folder] = self.fs.listdir(folder)
        return names

    def walk(self, folder: str, suffix: str) -> list[str]:
        """Files under ``folder`` ending with ``suffix`` (no symlinked folders, bounded)."""
        known = self._walks.get((folder, suffix))
        if known is not None:
            return known
        found: list[str] = []
        stack = [folder]
        seen = 0
        while stack and seen < MAX_LIB_FILES:
            current = stack.pop()
            for name in self.listdir(current):
                seen += 1
                full = os.path.join(current, name)
                if name.endswith(suffix):
                    found.append(full)
                elif "." not in name and self.fs.is_dir(full) and not os.path.islink(full):
                    stack.append(full)
        self._walks[(folder, suffix)] = found = sorted(found)
        return found

    # -- facts ----------------------------------------------------------------------------

    def elixir_facts(self, doc: Document) -> ElixirFacts:
        entry = self._elixir_facts.get(doc.path)
        if entry is None or entry[0] is not doc:
            entry = (doc, ElixirFacts())
            self._elixir_facts[doc.path] = entry
        if entry[1].refresh(doc) or doc.path not in self._broken:
            self._note_errors(doc)
        return entry[1]

    def _note_errors(self, doc: Document) -> None:
        """One log line when a file starts (or stops) having syntax errors."""
        root = doc.tree.root_node
        if not root.has_error:
            if doc.path in self._broken:
                self._broken.discard(doc.path)
                logger(__name__).info("%s parses cleanly again", doc.path)
            return
        if doc.path in self._broken:
            return
        self._broken.add(doc.path)
        node = root
        while True:
            child = next((c for c in node.children if c.has_error or c.is_missing), None)
            if child is None or node.is_error:
                break
            node = child
        line, _ = doc.position_at(node.start_byte)
        logger(__name__).info(
            "%s: syntax error near line %d; reading only its well-formed parts", doc.path, line + 1
        )

    def derived(self, doc: Document, kind: str, compute: Callable[[Document], T]) -> T:
        """``compute(doc)``, cached until the document changes."""
        key = (doc.path, kind)
        cached = self._derived.get(key)
        if cached is not None and cached[0] is doc and cached[1] == doc.revision:
            return cached[2]  # type: ignore[return-value]
        value = compute(doc)
        self._derived[key] = (doc, doc.revision, value)
        return value
