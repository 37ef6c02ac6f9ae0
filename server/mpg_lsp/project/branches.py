"""A value chosen by a condition, read branch by branch, and which branch Fly's release
machine takes.

``if cond, do: a, else: b`` (or the ``do ... else ... end`` form, or ``unless``) yields its two
branches. Fly sets ``RELEASE_COMMAND=1`` in the machine that runs ``release_command``, so a
condition that tests that variable (``System.get_env("RELEASE_COMMAND")``, ``!= nil``,
``is_nil(...)``, or a binding such as ``release? = System.get_env("RELEASE_COMMAND") != nil``)
says which branch migrations read. Anything else about a condition is not judged.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from mpg_lsp.project.values import Anchor, Other, Value, read_value
from mpg_lsp.records import record
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.languages import Lang, parser

_RELEASE = r'System\.(?:get_env|fetch_env!?)\(\s*"RELEASE_COMMAND"\s*\)'
_SET = re.compile(
    rf"^(?:{_RELEASE}|{_RELEASE}\s*(?:!=|!==)\s*nil|!\s*is_nil\({_RELEASE}\)"
    rf"|{_RELEASE}\s*==\s*\"1\"|not\s+is_nil\({_RELEASE}\))$"
)
_UNSET = re.compile(
    rf"^(?:is_nil\({_RELEASE}\)|{_RELEASE}\s*(?:==|===)\s*nil|!\s*{_RELEASE}|not\s+{_RELEASE})$"
)


@record(frozen=True)
class Branches:
    condition: str  # the condition's text
    when_true: Value
    when_false: Value


def _pair_value(keywords: Node, key: str) -> Node | None:
    for _, name, value in ex.keyword_pairs(keywords):
        if ex.keyword_name(name) == key:
            return value
    return None


def branches(value: Other) -> Branches | None:
    """The two branches of an ``if``/``unless`` value (spans in the value's file)."""
    if not value.text.startswith(("if", "unless")):
        return None
    tree = parser(Lang.ELIXIR).parse(value.text.encode())
    nodes = [n for n in tree.root_node.named_children if n.type != ex.COMMENT]
    if len(nodes) != 1 or nodes[0].type != ex.CALL or nodes[0].has_error:
        return None
    call = nodes[0]
    name = ex.call_name(call)
    args = ex.arguments(call)
    if name not in ("if", "unless") or not args:
        return None
    block = ex.do_block(call)
    yes: Node | None = None
    no: Node | None = None
    if block is not None:
        body = ex.block_body(block)
        other = ex.else_block(call)
        rest = ex.block_body(other) if other is not None else []
        yes, no = (body[-1] if body else None), (rest[-1] if rest else None)
    elif len(args) == 2 and args[1].type == ex.KEYWORDS:
        yes, no = _pair_value(args[1], "do"), _pair_value(args[1], "else")
    if yes is None or no is None:
        return None
    anchor = Anchor(value.span.start)
    when_true = read_value(yes, anchor, 0)
    when_false = read_value(no, anchor, 0)
    if name == "unless":
        when_true, when_false = when_false, when_true
    return Branches(" ".join(ex.text(args[0]).split()), when_true, when_false)


def release_branch(condition: str, bound: dict[str, str]) -> bool | None:
    """True when the condition holds in Fly's release machine, False when it does not, None
    when it is not about ``RELEASE_COMMAND``. ``bound`` maps a variable to its bound text."""
    condition = bound.get(condition, condition)
    condition = " ".join(condition.split())
    if _SET.match(condition):
        return True
    if _UNSET.match(condition):
        return False
    negated = re.fullmatch(r"(?:!|not\s+)\s*([a-z_][A-Za-z0-9_]*[?!]?)", condition)
    if negated and negated.group(1) in bound:
        inner = release_branch(negated.group(1), bound)
        return None if inner is None else not inner
    return None
