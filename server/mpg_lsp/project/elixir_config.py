"""Facts of an Elixir config file (``config/*.exs``), kept per top-level form.

A config file is read into ``config`` calls, local bindings and ``import_config`` calls, each
with whether the production release would run it (``if config_env() == :prod``...). Facts are
extracted per top-level form and cached: after an edit only the forms that the edit (or the
reparse) touched are read again, and when their facts come out equal, the file's generation
does not move, so nothing downstream is recomputed.
"""

from __future__ import annotations

import re
from enum import Enum

from tree_sitter import Node

from mpg_lsp.logs import logger
from mpg_lsp.project.urls import is_mpg_evidence
from mpg_lsp.project.values import (
    Alias,
    Anchor,
    KeywordList,
    Span,
    Value,
    keyword_keys,
    read_value,
    span_of,
)
from mpg_lsp.records import record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.nodes import span_to_reread
from mpg_lsp.syntax.shifts import Shifts, carry


class Admits(Enum):
    """Would a release built for prod run this code?"""

    YES = "yes"
    MAYBE = "maybe"  # behind a condition mpg-lsp cannot judge: it may apply, so it counts
    NO = "no"

    def both(self, other: Admits) -> Admits:
        if Admits.NO in (self, other):
            return Admits.NO
        if self is other is Admits.YES:
            return Admits.YES
        return Admits.MAYBE

    def either(self, other: Admits) -> Admits:
        if Admits.YES in (self, other):
            return Admits.YES
        if self is other is Admits.NO:
            return Admits.NO
        return Admits.MAYBE

    def negate(self) -> Admits:
        return {Admits.YES: Admits.NO, Admits.NO: Admits.YES}.get(self, Admits.MAYBE)


@record(frozen=True)
class ConfigCall:
    app: str
    key: str | None  # "MyApp.Repo", ":json_library", or None for `config :app, k: v`
    key_span: Span  # the key argument (or the app atom): where "missing key" diagnostics go
    opts: Value
    span: Span
    admits: Admits
    # boolean variables it sits under (`if prod? do`), resolved against bindings later:
    # (name, whether the variable must be true)
    guards: tuple[tuple[str, bool], ...] = ()


@record(frozen=True)
class Binding:
    """``name = value``; also ``alias Oban.Notifiers.PG``, which binds ``PG`` to the module
    (an ``Alias`` value; a capitalised name never clashes with a variable)."""

    name: str
    value: Value
    span: Span
    admits: Admits
    # `prod? = config_env() == :prod`: what the bound condition says about prod, when it says
    verdict: Admits | None = None


@record(frozen=True)
class ImportConfig:
    target: str  # relative path, with the prod env substituted for config_env()/Mix.env()
    span: Span
    admits: Admits


@record(frozen=True)
class Mentions:
    """Env-var-like names and pooler URLs a form mentions (code or comments): MPG evidence."""

    names: frozenset[str]
    pooler: bool


Fact = ConfigCall | Binding | ImportConfig | Mentions

# Option keys that make a config call matter to the prod view (repos, Oban, the endpoint).
RELEVANT_KEYS = frozenset(
    [
        # repos
        "url",
        "hostname",
        "database",
        "username",
        "port",
        "socket_dir",
        "prepare",
        "adapter",
        "pool_size",
        "pool_count",
        "socket_options",
        "ssl",
        "migration_lock",
        "after_connect",
        "parameters",
        "search_path",
        "max_lifetime",
        # Oban
        "repo",
        "notifier",
        "plugins",
        "queues",
        "engine",
        "peer",
        # the endpoint and the app
        "pubsub_server",
        "ecto_repos",
    ]
)
_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")


def is_relevant(fact: Fact) -> bool:
    """Whether a fact can change the prod view; edits to irrelevant facts cost nothing."""
    if not isinstance(fact, ConfigCall):
        return True
    key = fact.key
    if key is None or _key_matters(key):
        return True
    if not isinstance(fact.opts, KeywordList):
        return True  # opaque options might be anything
    return any(pair.key in RELEVANT_KEYS for pair in fact.opts.pairs)


def _key_matters(key: str) -> bool:
    return "Repo" in key or "Oban" in key or key.endswith("Endpoint")


def _config_may_matter(key: str, opts: Node) -> bool:
    """``is_relevant`` of the ConfigCall a ``config :app, key, opts`` would make, decided from
    the option names alone: a big config file is mostly unrelated ``config`` calls, and reading
    their values only to drop them was most of the time it took to open one."""
    if _key_matters(key):
        return True
    keys = keyword_keys(opts)
    return keys is None or any(k in RELEVANT_KEYS for k in keys)


_ENV_CALLS = {"config_env", "Mix.env", "Config.config_env"}
_ENV = "prod"


def _is_env_call(node: Node) -> bool:
    return node.type == ex.CALL and ex.call_name(node) in _ENV_CALLS and not ex.arguments(node)


def _atoms(node: Node) -> set[str] | None:
    """The atoms of `[:a, :b]` or `~w(a b)a`, else None."""
    if node.type == ex.LIST:
        names = [ex.atom_name(c) for c in node.named_children]
        return {n for n in names if n is not None} if all(names) else None
    if node.type == ex.SIGIL:
        body = ex.text(node)
        if body.startswith(("~w", "~W")):
            inner = body[3:].rstrip("a").rstrip()[:-1] if len(body) > 4 else ""
            return set(inner.split())
    return None


def _guard_variable(cond: Node) -> tuple[str, bool] | None:
    """`prod?` -> ("prod?", True); `not prod?` / `!prod?` -> ("prod?", False)."""
    if cond.type == ex.IDENTIFIER:
        return ex.text(cond), True
    if cond.type == ex.UNARY:
        op = cond.child_by_field_name("operator")
        operand = cond.child_by_field_name("operand")
        if (
            op is not None
            and operand is not None
            and ex.text(op) in ("not", "!")
            and operand.type == ex.IDENTIFIER
        ):
            return ex.text(operand), False
    return None


def condition_admits(cond: Node, depth: int = 0) -> Admits:
    """Does the prod environment satisfy this condition? MAYBE when it cannot be told."""
    if depth > 64:  # `not not not ...`, `a and b and ...` thousands deep: no RecursionError
        return Admits.MAYBE
    kind = cond.type
    if kind == ex.BLOCK and cond.named_child_count == 1:
        return condition_admits(cond.named_children[0], depth + 1)
    if kind == ex.UNARY:
        op = cond.child_by_field_name("operator")
        operand = cond.child_by_field_name("operand")
        if op is not None and operand is not None and ex.text(op) in ("not", "!"):
            return condition_admits(operand, depth + 1).negate()
        return Admits.MAYBE
    if kind != ex.BINARY:
        return Admits.MAYBE
    op_node = cond.child_by_field_name("operator")
    left = cond.child_by_field_name("left")
    right = cond.child_by_field_name("right")
    if op_node is None or left is None or right is None:
        return Admits.MAYBE
    operator = " ".join(ex.text(op_node).split())
    if operator in ("and", "&&"):
        return condition_admits(left, depth + 1).both(condition_admits(right, depth + 1))
    if operator in ("or", "||"):
        return condition_admits(left, depth + 1).either(condition_admits(right, depth + 1))
    if operator in ("==", "!=", "===", "!=="):
        if _is_env_call(right):
            left, right = right, left
        name = ex.atom_name(right)
        if not _is_env_call(left) or name is None:
            return Admits.MAYBE
        equal = name == _ENV
        return Admits.YES if equal == (operator in ("==", "===")) else Admits.NO
    if operator in ("in", "not in") and _is_env_call(left):
        names = _atoms(right)
        if names is None:
            return Admits.MAYBE
        inside = _ENV in names
        return Admits.YES if inside == (operator == "in") else Admits.NO
    return Admits.MAYBE


class _Reader:
    """Reads the facts of one top-level form."""

    def __init__(self, anchor: Anchor, base: int) -> None:
        self.anchor = anchor
        self.base = base
        self.out: list[Fact] = []
        self.guards: list[tuple[str, bool]] = []

    def span(self, node: Node) -> Span:
        return span_of(node, self.anchor, self.base)

    def value(self, node: Node) -> Value:
        return read_value(node, self.anchor, self.base)

    def statements(self, nodes: list[Node], admits: Admits, depth: int) -> None:
        for node in nodes:
            self.statement(node, admits, depth)

    def statement(self, node: Node, admits: Admits, depth: int) -> None:
        if (
            admits is Admits.NO or depth > 64
        ):  # ~5 frames a level: stay far from the recursion limit
            return
        kind = node.type
        if kind == ex.CALL:
            self.call(node, admits, depth)
        elif kind == ex.BINARY:
            op = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if op is None or left is None or right is None or ex.text(op) != "=":
                return
            if left.type == ex.IDENTIFIER and not right.has_error:
                verdict = (
                    condition_admits(right) if right.type in (ex.BINARY, ex.UNARY) else Admits.MAYBE
                )
                self.out.append(
                    Binding(
                        ex.text(left),
                        self.value(right),
                        self.span(node),
                        admits,
                        None if verdict is Admits.MAYBE else verdict,
                    )
                )
            # `x = if ... do config(...) end` still runs the config calls inside.
            if right.type == ex.CALL:
                self.call(right, admits, depth)
        elif kind in (ex.BLOCK, ex.BODY):
            self.statements(ex.block_body(node), admits, depth + 1)

    def call(self, node: Node, admits: Admits, depth: int) -> None:
        name = ex.call_name(node)
        if name == "config":
            self.config(node, admits)
        elif name == "import_config":
            self.import_config(node, admits)
        elif name == "alias":
            for short, target in alias_targets(node, self.anchor, self.base):
                self.out.append(Binding(short, target, self.span(node), admits))
        elif name in ("if", "unless"):
            self.conditional(node, name, admits, depth)
        elif name == "case":
            self.case(node, admits, depth)
        else:
            block = ex.do_block(node)
            if block is not None:  # for/with/Enum.each...: may run, may not
                self.statements(ex.block_body(block), admits.both(Admits.MAYBE), depth + 1)

    def config(self, node: Node, admits: Admits) -> None:
        if node.has_error:
            logger(__name__).debug(
                "skipping a config call with a syntax error at byte %d", node.start_byte
            )
            return
        args = ex.arguments(node)
        if len(args) < 2:
            return
        app = ex.atom_name(args[0])
        if app is None:
            return
        if len(args) == 2:
            if args[1].type == ex.KEYWORDS or args[1].type == ex.LIST:
                self.out.append(
                    ConfigCall(
                        app,
                        None,
                        self.span(args[0]),
                        self.value(args[1]),
                        self.span(node),
                        admits,
                        tuple(self.guards),
                    )
                )
            return
        key_node = args[1]
        if key_node.type == ex.ALIAS:
            key = ex.text(key_node)
        elif (atom := ex.atom_name(key_node)) is not None:
            key = ":" + atom
        else:
            return  # a key computed at run time (a loop variable): nothing certain to say
        if not _config_may_matter(key, args[2]):
            return
        self.out.append(
            ConfigCall(
                app,
                key,
                self.span(key_node),
                self.value(args[2]),
                self.span(node),
                admits,
                tuple(self.guards),
            )
        )

    def import_config(self, node: Node, admits: Admits) -> None:
        args = ex.arguments(node)
        if not args or args[0].type != ex.STRING or node.has_error:
            return
        parts: list[str] = []
        for child in args[0].named_children:
            if child.type == ex.INTERPOLATION:
                inner = child.named_children
                if len(inner) == 1 and _is_env_call(inner[0]):
                    parts.append(_ENV)
                else:
                    return  # an import we cannot resolve statically
            else:
                parts.append(ex.text(child))
        self.out.append(ImportConfig("".join(parts), self.span(node), admits))

    def conditional(self, node: Node, name: str, admits: Admits, depth: int) -> None:
        args = ex.arguments(node)
        if not args:
            return
        cond = condition_admits(args[0]) if not args[0].has_error else Admits.MAYBE
        if name == "unless":
            cond = cond.negate()
        then_admits, else_admits = admits.both(cond), admits.both(cond.negate())
        guard = _guard_variable(args[0])
        if guard is not None and name == "unless":
            guard = (guard[0], not guard[1])
        if guard is not None:
            self.guards.append(guard)
            try:
                self._branches(node, args, then_admits, Admits.NO, depth)
            finally:
                self.guards.pop()
            self.guards.append((guard[0], not guard[1]))
            try:
                self._branches(node, args, Admits.NO, else_admits, depth)
            finally:
                self.guards.pop()
            return
        self._branches(node, args, then_admits, else_admits, depth)

    def _branches(
        self, node: Node, args: list[Node], then_admits: Admits, else_admits: Admits, depth: int
    ) -> None:
        block = ex.do_block(node)
        if block is not None:
            body = [c for c in block.named_children if c.type not in (ex.COMMENT, ex.ELSE_BLOCK)]
            self.statements(body, then_admits, depth + 1)
            other = ex.else_block(node)
            if other is not None:
                self.statements(ex.block_body(other), else_admits, depth + 1)
            return
        # `if cond, do: ..., else: ...`
        options = args[-1] if len(args) > 1 and args[-1].type == ex.KEYWORDS else None
        if options is None:
            return
        for _, key, value in ex.keyword_pairs(options):
            branch = ex.keyword_name(key)
            if branch == "do":
                self.statement(value, then_admits, depth + 1)
            elif branch == "else":
                self.statement(value, else_admits, depth + 1)

    def case(self, node: Node, admits: Admits, depth: int) -> None:
        args = ex.arguments(node)
        block = ex.do_block(node)
        if not args or block is None:
            return
        on_env = _is_env_call(args[0])
        prod_seen = False
        for clause in block.named_children:
            if clause.type != ex.STAB_CLAUSE:
                continue
            left = clause.child_by_field_name("left")
            right = clause.child_by_field_name("right")
            if right is None:
                continue
            clause_admits = Admits.MAYBE
            if on_env and left is not None:
                patterns = left.named_children
                names = [ex.atom_name(p) for p in patterns]
                if len(patterns) == 1 and names[0] is not None:
                    clause_admits = Admits.YES if names[0] == _ENV and not prod_seen else Admits.NO
                    prod_seen = prod_seen or names[0] == _ENV
                elif len(patterns) == 1 and patterns[0].type == ex.IDENTIFIER:
                    clause_admits = Admits.NO if prod_seen else Admits.YES
                    prod_seen = True
            self.statement(right, admits.both(clause_admits), depth + 1)


def file_aliases(root: Node) -> dict[str, str]:
    """Every ``alias`` of a file: short name -> full module name (scopes are not tracked)."""
    found: dict[str, str] = {}
    for node in ex.walk_calls(root, {"alias"}):
        for short, target in alias_targets(node, Anchor(0), 0):
            found[short] = target.name
    return found


def expand_alias(name: str, aliases: dict[str, str]) -> str:
    """``Repo.query`` with ``alias A.Repo`` -> ``A.Repo.query``."""
    head, dot, rest = name.partition(".")
    return aliases[head] + dot + rest if head in aliases else name


def alias_targets(node: Node, anchor: Anchor, base: int) -> list[tuple[str, Alias]]:
    """What an ``alias`` call binds: ``alias A.B`` -> B, ``alias A.B, as: C`` -> C,
    ``alias A.{B, C}`` -> B and C; each to the full module name."""
    args = ex.arguments(node)
    if not args or node.has_error:
        return []
    target = args[0]
    if target.type == ex.ALIAS:
        full = ex.text(target)
        short = full.rsplit(".", 1)[-1]
        for pair in ex.pairs_named(node, "as"):
            value = pair.child_by_field_name("value")
            if value is not None and value.type == ex.ALIAS:
                short = ex.text(value)
        return [(short, Alias(span_of(target, anchor, base), full, full))]
    if target.type == ex.DOT:
        left = target.child_by_field_name("left")
        right = target.child_by_field_name("right")
        if left is None or right is None or left.type != ex.ALIAS or right.type != ex.TUPLE:
            return []
        prefix = ex.text(left)
        out = []
        for item in right.named_children:
            if item.type == ex.ALIAS:
                full = f"{prefix}.{ex.text(item)}"
                out.append(
                    (
                        ex.text(item).rsplit(".", 1)[-1],
                        Alias(span_of(item, anchor, base), full, full),
                    )
                )
        return out
    return []


def read_form(node: Node, anchor: Anchor) -> tuple[Fact, ...]:
    out: list[Fact] = []
    if node.type not in (ex.COMMENT, "ERROR"):
        reader = _Reader(anchor, node.start_byte)
        reader.statement(node, Admits.YES, 0)
        # Only what can matter to the prod view is kept: a big config file is mostly
        # unrelated `config` calls, and holding their values would cost memory for nothing.
        out = [fact for fact in reader.out if is_relevant(fact)]
    text = ex.text(node)
    names = frozenset(_NAME.findall(text))
    pooler = is_mpg_evidence(text)
    if names or pooler:
        out.append(Mentions(names, pooler))
    return tuple(out)


class _Form:
    __slots__ = ("anchor", "end", "facts")

    def __init__(self, anchor: Anchor, end: int, facts: tuple[Fact, ...]) -> None:
        self.anchor = anchor
        self.end = end
        self.facts = facts

    @property
    def start(self) -> int:
        return self.anchor.start


class ElixirFacts:
    """The facts of one Elixir file, refreshed incrementally from its Document.

    ``generation`` moves whenever a fact changes; ``relevant_generation`` only when a fact that
    can matter to the prod view does, so typing in an unrelated config block (the common case in
    a big file) leaves every cache downstream valid.
    """

    def __init__(self) -> None:
        self._forms: list[_Form] = []
        self.generation = 0
        self.relevant_generation = 0
        self._relevant: tuple[int, list[Fact]] = (-1, [])
        self._revision: int | None = None  # the document revision these facts reflect
        self._parses = 0

    def facts(self) -> list[Fact]:
        return [fact for form in self._forms for fact in form.facts]

    def relevant(self) -> list[Fact]:
        """The facts that can matter to the prod view, in file order (cached). `read_form`
        keeps only those, so this is every fact; no second filtering pass."""
        if self._relevant[0] != self.relevant_generation:
            facts = [f for form in self._forms for f in form.facts]
            self._relevant = (self.relevant_generation, facts)
        return self._relevant[1]

    def refresh(self, doc: Document) -> bool:
        """Bring the facts up to date with ``doc``; True when they changed."""
        reset, edits = doc.take_edits()
        # A first read, a replaced document, edits taken by someone else, or several
        # reparses since the last look (changed_ranges would describe only the last): read it all.
        if (
            reset
            or self._revision is None
            or doc.revision != self._revision + sum(e.count for e in edits)
            or (edits and doc.parses != self._parses + 1)
        ):
            self._revision, self._parses = doc.revision, doc.parses
            root = doc.tree.root_node
            self._forms = [self._read(node) for node in root.named_children]
            self.generation += 1
            self.relevant_generation += 1
            return True
        self._revision, self._parses = doc.revision, doc.parses
        if not edits:
            return False
        forms = self._forms
        dirty: list[tuple[int, int]] = []
        # every form after an edit moves with it: kept pending, written once below (a burst
        # at twenty places of a big file would otherwise move most forms twenty times)
        moved = Shifts(len(forms))
        for edit in edits:
            at, old_end, new_end = edit.start, edit.old_end, edit.new_end
            delta = new_end - old_end
            if dirty:  # map_offset, inlined: a burst at forty places maps 40 x 80 offsets
                dirty = [
                    (
                        a if a <= at else a + delta if a >= old_end else new_end,
                        b if b <= at else b + delta if b >= old_end else new_end,
                    )
                    for a, b in dirty
                ]
            dirty.append((at, new_end))
            dirty += carry(forms, edit, moved)
        for first, stop, delta in moved.runs():
            for form in forms[first:stop]:
                form.anchor.start += delta
                form.end += delta
        # each cluster of edits on its own: a burst typed at two ends of a big file must not
        # read again every form between them
        clusters: list[list[int]] = []
        for a, b in sorted(dirty):
            if clusters and a <= clusters[-1][1]:
                clusters[-1][1] = max(clusters[-1][1], b)
            else:
                clusters.append([a, b])
        changed = False
        for lo, hi in reversed(clusters):
            changed = self._reread(doc, lo, hi) or changed
        return changed

    def _read(self, node: Node) -> _Form:
        anchor = Anchor(node.start_byte)
        return _Form(anchor, node.end_byte, read_form(node, anchor))

    def _reread(self, doc: Document, lo: int, hi: int) -> bool:
        """Read again the top-level forms of the new tree around ``[lo, hi]``, widening the
        range until old and new forms line up (an edit can merge or split forms).

        When the new tree has a different number of top-level forms than the index would, or
        has syntax errors, the edit may have reshaped the file beyond that range (an unclosed
        string or `do`, say): the range then grows by what tree-sitter reports as changed, and
        if even that does not line up, the whole file is read again.
        """
        forms = self._forms
        span = span_to_reread(doc, forms, lambda f: f.anchor.start, lambda f: f.end, lo, hi)
        if span is None:
            self._forms = [self._read(node) for node in doc.tree.root_node.named_children]
            self.generation += 1
            self.relevant_generation += 1
            return True
        first, last, nodes = span
        old = forms[first:last]
        fresh = [self._read(n) for n in nodes]
        if len(old) == len(fresh) and all(a.facts == b.facts for a, b in zip(old, fresh)):
            for a, b in zip(old, fresh):  # same facts: keep the objects, move them
                a.anchor.start, a.end = b.anchor.start, b.end
            return False
        forms[first:last] = fresh
        self.generation += 1
        # The prod view holds the old facts: it must be rebuilt when they changed, or when any
        # of them has a position (the old forms' anchors stop moving once replaced). Mentions
        # carry no position, so an edit that leaves them equal leaves the view as it is.
        before = [f for form in old for f in form.facts]
        after = [f for form in fresh for f in form.facts]
        if before != after or any(not isinstance(f, Mentions) for f in after):
            self.relevant_generation += 1
        return True
