"""Facts from ``lib/**/*.ex``: which adapter each repo module uses, and the app's PubSub."""

from __future__ import annotations

from dataclasses import dataclass, field

from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang
from mpg_lsp.syntax.queries import matches


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


def read_lib(doc: Document) -> LibFacts:
    text = doc.text
    if b"Repo" not in text and b"Phoenix.PubSub" not in text:
        return LibFacts()
    root = doc.tree.root_node
    adapters: dict[str, str] = {}
    for match in matches(Lang.ELIXIR, "repo_module", root):
        module = ex.text(match["module"][0])
        behaviour = ex.text(match["behaviour"][0])
        adapter = "AshPostgres.Repo" if behaviour == "AshPostgres.Repo" else ""
        for options in match.get("options", []):
            for pair in options.named_children:
                key = pair.child_by_field_name("key")
                value = pair.child_by_field_name("value")
                if key is not None and value is not None and ex.keyword_name(key) == "adapter":
                    adapter = ex.text(value)
        if adapter:
            adapters[module] = adapter
    pubsub = None
    if b"Phoenix.PubSub" in text:
        for match in matches(Lang.ELIXIR, "children", root):
            if "pubsub" in match:
                for pair in match["options"][0].named_children:
                    key = pair.child_by_field_name("key")
                    value = pair.child_by_field_name("value")
                    if key is not None and value is not None and ex.keyword_name(key) == "name":
                        if value.type == ex.ALIAS:
                            pubsub = ex.text(value)
    return LibFacts(adapters, pubsub)
