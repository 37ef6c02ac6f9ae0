"""Merging config calls like ``Config.config/3`` does, and reading them through bindings."""

from __future__ import annotations

from mpg_lsp.project.elixir_config import Binding, ConfigCall
from mpg_lsp.project.values import Alias, KeywordList, Pair, TupleV, Value, Var
from mpg_lsp.records import field, record


@record(frozen=True)
class Located:
    """A config call together with the file it is in."""

    path: str
    call: ConfigCall


@record
class MergedOptions:
    """A key's options across every prod-view call: last pair wins, like Config does."""

    calls: list[Located] = field(default_factory=list)
    pairs: dict[str, tuple[str, Pair, KeywordList]] = field(default_factory=dict)
    opaque: bool = False  # some contribution could not be read as a keyword list
    texts: list[str] = field(default_factory=list)

    def get(self, key: str) -> tuple[str, Pair, KeywordList] | None:
        return self.pairs.get(key)

    def value(self, key: str) -> Value | None:
        found = self.pairs.get(key)
        return found[1].value if found else None


def resolve(value: Value, path: str, bindings: dict[str, list[Binding]], depth: int = 0) -> Value:
    """Follow a variable to the value bound to it earlier in the same file."""
    if isinstance(value, Var) and depth < 8:
        candidates = [
            b
            for b in bindings.get(path, [])
            if b.name == value.name and b.span.start < value.span.start
        ]
        if candidates:
            return resolve(candidates[-1].value, path, bindings, depth + 1)
    return value


def module_name(value: Value | None) -> str | None:
    if isinstance(value, Alias):
        return value.name
    if isinstance(value, TupleV) and value.items and isinstance(value.items[0], Alias):
        return value.items[0].name
    return None


def merge(calls: list[Located], bindings: dict[str, list[Binding]]) -> MergedOptions:
    merged = MergedOptions(calls=calls)
    for located in calls:
        opts = resolve(located.call.opts, located.path, bindings)
        merged.texts.append(opts.text)
        if not isinstance(opts, KeywordList):
            merged.opaque = True
            continue
        for pair in opts.pairs:
            merged.pairs[pair.key] = (located.path, pair, opts)
    return merged


def anchor_for(
    merged: MergedOptions, runtime: str, bindings: dict[str, list[Binding]]
) -> tuple[Located | None, tuple[str, KeywordList] | None]:
    """The call a missing key belongs in: runtime.exs first; the one with url:, else the last."""
    readable = []
    for located in merged.calls:
        opts = resolve(located.call.opts, located.path, bindings)
        if isinstance(opts, KeywordList):
            readable.append((located, opts))
    if not readable:
        return None, None
    in_runtime = [r for r in readable if r[0].path == runtime] or readable
    with_url = [r for r in in_runtime if r[1].get("url") is not None]
    located, opts = (with_url or in_runtime)[-1]
    return located, (located.path, opts)
