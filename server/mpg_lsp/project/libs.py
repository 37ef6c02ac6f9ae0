"""Facts from ``lib/**/*.ex``: which adapter each repo module uses, and the app's PubSub."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document


@dataclass(frozen=True)
class LibFacts:
    adapters: dict[str, str] = field(default_factory=dict)  # repo module -> adapter module
    pubsub: str | None = None

    @staticmethod
    def empty() -> LibFacts:
        return LibFacts()

    def union(self, other: LibFacts) -> LibFacts:
        if not other.adapters and other.pubsub is None:
            return self
        return LibFacts({**self.adapters, **other.adapters}, self.pubsub or other.pubsub)


def _adapter_of(use: Node) -> str:
    """`use Ecto.Repo, otp_app: :x, adapter: Mod` -> "Mod"; `use AshPostgres.Repo` -> itself."""
    args = ex.arguments(use)
    if not args:
        return ""
    behaviour = ex.text(args[0])
    if behaviour == "AshPostgres.Repo":
        return behaviour
    if behaviour != "Ecto.Repo":
        return ""
    for pair in ex.pairs_named(use, "adapter"):
        value = pair.child_by_field_name("value")
        if value is not None:
            return ex.text(value)
    return ""


def read_lib(doc: Document) -> LibFacts:
    text = doc.text
    if b"Repo" not in text and b"Phoenix.PubSub" not in text:
        return LibFacts()
    root = doc.tree.root_node
    adapters: dict[str, str] = {}
    for module in ex.walk_calls(root, {"defmodule"}):
        args = ex.arguments(module)
        block = ex.do_block(module)
        if not args or args[0].type != ex.ALIAS or block is None:
            continue
        for use in ex.block_body(block):
            if use.type == ex.CALL and ex.call_name(use) == "use":
                adapter = _adapter_of(use)
                if adapter:
                    adapters[ex.text(args[0])] = adapter
    pubsub = None
    if b"Phoenix.PubSub" in text:
        for node in ex.walk(root, {ex.TUPLE}):
            items = node.named_children
            if len(items) == 2 and items[0].type == ex.ALIAS and ex.text(items[0]) == "Phoenix.PubSub":
                for pair in items[1].named_children if items[1].type == ex.KEYWORDS else []:
                    key = pair.child_by_field_name("key")
                    value = pair.child_by_field_name("value")
                    if key is not None and value is not None and ex.keyword_name(key) == "name":
                        if value.type == ex.ALIAS:
                            pubsub = ex.text(value)
    return LibFacts(adapters, pubsub)
