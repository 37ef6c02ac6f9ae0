"""``mix.exs`` dependencies and ``mix.lock`` versions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang
from mpg_lsp.syntax.queries import matches


@dataclass(frozen=True, slots=True)
class MixDeps:
    names: frozenset[str]
    # The `[...]` list node of `defp deps`, as a byte range, for fixes that add a dependency.
    list_range: tuple[int, int] | None
    item_ranges: tuple[tuple[int, int], ...]


def read_deps(doc: Document) -> MixDeps:
    for match in matches(Lang.ELIXIR, "mix_deps", doc.tree.root_node):
        node = match["deps"][0]
        if node.has_error:
            continue
        names = set()
        items = []
        for item in node.named_children:
            if item.type == ex.COMMENT:
                continue
            items.append((item.start_byte, item.end_byte))
            if item.type == ex.TUPLE and item.named_children:
                name = ex.atom_name(item.named_children[0])
                if name:
                    names.add(name)
        return MixDeps(frozenset(names), (node.start_byte, node.end_byte), tuple(items))
    return MixDeps(frozenset(), None, ())


Version = tuple[int, ...]


def parse_version(text: str) -> Version | None:
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


@dataclass(frozen=True, slots=True)
class MixLock:
    versions: dict[str, str]  # package -> locked version (hex packages)
    packages: frozenset[str]  # every package, hex or git

    def version(self, package: str) -> Version | None:
        raw = self.versions.get(package)
        return parse_version(raw) if raw else None


def read_lock(doc: Document) -> MixLock:
    versions: dict[str, str] = {}
    packages: set[str] = set()
    for match in matches(Lang.ELIXIR, "mix_lock", doc.tree.root_node):
        name = ex.text(match["name"][0])
        packages.add(name)
        if ex.text(match["source"][0]) == ":hex" and "version" in match:
            versions[name] = ex.text(match["version"][0])
    return MixLock(versions, frozenset(packages))
