"""``mix.exs`` dependencies and ``mix.lock`` versions."""

from __future__ import annotations

import re

from tree_sitter import Node

from mpg_lsp.records import field, record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document


@record(frozen=True)
class MixDeps:
    names: frozenset[str]
    # The `[...]` list node of `defp deps`, as a byte range, for fixes that add a dependency.
    list_range: tuple[int, int] | None
    item_ranges: tuple[tuple[int, int], ...]
    # name -> byte range of the version requirement string (`"~> 0.2"`), when it is one
    requirements: dict[str, tuple[int, int]] = field(default_factory=dict)


def _deps_list(root: Node) -> Node | None:
    """The `[...]` of `defp deps do [...] end`, `defp deps, do: [...]`, or `deps: [...]`."""
    for node in ex.walk_calls(root, {"def", "defp"}):
        args = ex.arguments(node)
        if not args or ex.text(args[0]).split("(")[0].strip() != "deps":
            continue
        block = ex.do_block(node)
        body: list[Node | None] = list(ex.block_body(block)) if block is not None else []
        if not body and len(args) > 1 and args[-1].type == ex.KEYWORDS:
            body = [p.child_by_field_name("value") for p in args[-1].named_children]
        lists = [n for n in body if n is not None and n.type == ex.LIST]
        if lists:
            return lists[-1]
    for pair in ex.walk(root, {ex.PAIR}):  # `def project, do: [..., deps: [...]]`
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if (
            key is not None
            and ex.keyword_name(key) == "deps"
            and value is not None
            and value.type == ex.LIST
        ):
            return value
    return None


def read_deps(doc: Document) -> MixDeps:
    node = _deps_list(doc.tree.root_node)
    if node is not None and not node.has_error:
        names = set()
        items = []
        requirements = {}
        for item in node.named_children:
            if item.type == ex.COMMENT:
                continue
            items.append((item.start_byte, item.end_byte))
            if item.type == ex.TUPLE and item.named_children:
                parts = item.named_children
                name = ex.atom_name(parts[0])
                if name:
                    names.add(name)
                    if len(parts) > 1 and ex.string_value(parts[1]) is not None:
                        requirements[name] = (parts[1].start_byte, parts[1].end_byte)
        return MixDeps(
            frozenset(names), (node.start_byte, node.end_byte), tuple(items), requirements
        )
    return MixDeps(frozenset(), None, ())


Version = tuple[int, ...]


def parse_version(text: str) -> Version | None:
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return tuple(int(g or 0) for g in m.groups())


def requirement_floor(requirement: str) -> Version | None:
    """The lowest version a mix requirement (`"~> 0.2.2"`, `">= 0.2.2 and < 1.0.0"`) allows,
    when it says; None for a requirement with no lower bound or one that cannot be read."""
    floors = [
        parse_version(m.group(2))
        for m in re.finditer(r"(~>|>=|==|>)\s*(\d+\.\d+(?:\.\d+)?)", requirement)
    ]
    known = [f for f in floors if f is not None]
    if " or " in requirement or not known:
        return None
    return max(known)


@record(frozen=True)
class MixLock:
    versions: dict[str, str]  # package -> locked version (hex packages)
    packages: frozenset[str]  # every package, hex or git
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # package -> its entry

    def version(self, package: str) -> Version | None:
        raw = self.versions.get(package)
        return parse_version(raw) if raw else None


def read_lock(doc: Document) -> MixLock:
    """`%{"name": {:hex, :name, "version", ...}, "other": {:git, "url", ...}}`."""
    versions: dict[str, str] = {}
    packages: set[str] = set()
    spans: dict[str, tuple[int, int]] = {}
    root = doc.tree.root_node
    lock = root.named_children[0] if root.named_child_count else None
    content = (
        next((c for c in lock.named_children if c.type == ex.MAP_CONTENT), None) if lock else None
    )
    keywords = (
        next((c for c in content.named_children if c.type == ex.KEYWORDS), None)
        if content
        else None
    )
    for pair, key, value in ex.keyword_pairs(keywords) if keywords is not None else []:
        if value.type != ex.TUPLE or pair.has_error:
            continue
        name = ex.keyword_name(key)
        items = [c for c in value.named_children if c.type != ex.COMMENT]
        if not name or not items or items[0].type != ex.ATOM:
            continue
        packages.add(name)
        spans[name] = (pair.start_byte, pair.end_byte)
        if ex.atom_name(items[0]) == "hex" and len(items) > 2:
            version = ex.string_value(items[2])
            if version:
                versions[name] = version
    return MixLock(versions, frozenset(packages), spans)
