"""Hover: what a Repo/Oban key, a notifier module, an env var name or a fly.toml key means on
Fly MPG, from the single-source docs in ``mpg_lsp/docs/hover``. Null everywhere else, quickly,
so the Elixir language server's hover beside us is never shadowed."""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib import resources

from lsprotocol import types as t
from tree_sitter import Node

from mpg_lsp.lsp.positions import to_range
from mpg_lsp.lsp.server import MpgServer
from mpg_lsp.lsp.session import Session
from mpg_lsp.project.model import ProdView
from mpg_lsp.rules import REGISTRY
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax import toml as tm
from mpg_lsp.syntax.document import Document
from mpg_lsp.syntax.languages import Lang

log = logging.getLogger(__name__)

ENV_VARS = {"DATABASE_URL", "DIRECT_DATABASE_URL", "ECTO_IPV6"}


@cache
def topic(name: str) -> str | None:
    try:
        return (
            (resources.files("mpg_lsp") / "docs" / "hover" / f"{name}.md")
            .read_text("utf-8")
            .strip()
        )
    except OSError:
        return None


def _config_key(node: Node) -> str | None:
    """The key argument of the `config` call (or `{Oban, ...}` child) around ``node``."""
    current: Node | None = node
    while current is not None:
        if current.type == ex.CALL and ex.call_name(current) == "config":
            args = ex.arguments(current)
            return ex.text(args[1]) if len(args) >= 3 else None
        if current.type == ex.TUPLE and current.named_children:
            head = current.named_children[0]
            if head.type == ex.ALIAS and ex.text(head) == "Oban":
                return "Oban"
        current = current.parent
    return None


def _elixir(session: Session, doc: Document, offset: int) -> tuple[str, Node] | None:
    node = doc.tree.root_node.named_descendant_for_byte_range(offset, offset)
    if node is None:
        return None
    if (
        node.type == ex.QUOTED_CONTENT
        and node.parent is not None
        and node.parent.type == ex.KEYWORD
    ):
        node = node.parent
    if node.type == ex.KEYWORD:
        key = ex.keyword_name(node)
        owner = _config_key(node)
        if owner is None:
            return None
        view = _view(session, doc.path)
        is_oban = owner == "Oban" or (view is not None and any(o.name == owner for o in view.obans))
        is_repo = owner.rsplit(".", 1)[-1].endswith("Repo") or (
            view is not None and owner in view.repos
        )
        is_event_store = view is not None and owner in view.event_stores
        if is_oban:
            text = topic(f"oban.{key}")
        elif is_event_store:
            text = topic(f"eventstore.{key}")
        elif is_repo:
            text = topic(f"repo.{key}")
            if text and key == "url" and view is not None and owner in view.repos:
                text += f"\n\n**Here:** {owner}'s url {view.repos[owner].url_summary}."
        else:
            return None
        return (text, node) if text else None
    if node.type == ex.ALIAS:
        text = topic(f"module.{ex.text(node)}")
        return (text, node) if text else None
    if node.type == ex.QUOTED_CONTENT and node.parent is not None and node.parent.type == ex.STRING:
        name = ex.text(node)
        view = _view(session, doc.path)
        if name in ENV_VARS:
            text = topic(f"env.{name}")
        elif view is not None and view.settings.is_direct_var(name):
            text = topic("env.DIRECT_DATABASE_URL")
        else:
            return None
        return (text, node) if text else None
    return None


def _rule_code(doc: Document, offset: int) -> tuple[str, int, int] | None:
    """The rule code under the cursor in a `# mpg-lsp: ignore ...` comment."""
    node = doc.tree.root_node.descendant_for_byte_range(offset, offset)
    if node is None or node.type != "comment" or b"mpg-lsp:" not in (node.text or b""):
        return None
    for match in re.finditer(rb"MPG\d{3}", node.text or b""):
        start, end = node.start_byte + match.start(), node.start_byte + match.end()
        if start <= offset <= end:
            code = match.group().decode()
            rule = REGISTRY.get(code)
            if rule is None:
                return (
                    f"**{code}** is not an mpg-lsp rule (`mpg-lsp rules` lists them).",
                    start,
                    end,
                )
            text = (
                f"**{code}** `{rule.name}` ({rule.severity}): {rule.summary}\n\n"
                f"[Rule documentation]({rule.url})"
            )
            return text, start, end
    return None


def _toml(doc: Document, offset: int) -> tuple[str, Node] | None:
    node = doc.tree.root_node.named_descendant_for_byte_range(offset, offset)
    if node is None or node.type not in tm.KEY_KINDS:
        return None
    parent = node.parent
    if parent is None:
        return None
    if parent.type == tm.TABLE:
        name = tm.table_name(parent)
        text = topic(f"fly.{name}") if name in ("deploy", "env") else None
        return (text, node) if text else None
    if parent.type == tm.PAIR and parent.parent is not None and parent.parent.type == tm.TABLE:
        table = tm.table_name(parent.parent)
        key = tm.key_text(node)
        if table == "deploy" and key == "release_command":
            text = topic("fly.release_command")
        elif table == "env":
            text = topic(f"env.{key}") if key in ENV_VARS else topic("fly.env")
        else:
            text = None
        return (text, node) if text else None
    return None


def _view(session: Session, path: str) -> ProdView | None:
    root = session.engine.root_of(path)
    if root is None:
        return None
    try:
        return session.engine.view(root)
    except Exception:
        log.exception("reading %s for hover failed", root)
        return None


def _is_fly(session: Session, path: str) -> bool:
    """A Fly config of its project (fly.toml, fly.*.toml, or one under deploy/ and the like)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name == "fly.toml" or (name.startswith("fly.") and name.endswith(".toml")):
        return True
    view = _view(session, path)
    return view is not None and any(f.path == path for f in view.fly)


def rule_brief(code: str) -> str | None:
    """A rule's page, trimmed for a hover: its summary and why it matters, then the link."""
    rule = REGISTRY.get(code)
    if rule is None:
        return None
    page = rule.docs()
    sections = page.split("\n## ")
    head = sections[0].split("\n", 1)
    intro = head[1].strip() if len(head) > 1 else rule.summary
    why = next((sec.split("\n", 1)[1].strip() for sec in sections[1:] if sec.startswith("Why")), "")
    parts = [f"**{code}** `{rule.name}`", intro]
    if why:
        parts.append(why)
    parts.append(f"[{code} documentation]({rule.url})")
    return "\n\n".join(parts)


def _diagnostic_docs(session: Session, doc: Document, offset: int) -> list[str]:
    root = session.engine.root_of(doc.path)
    if root is None:
        return []
    try:
        findings = session.engine.findings(root)
    except Exception:
        log.exception("checking %s for hover failed", root)
        return []
    codes = dict.fromkeys(
        f.code for f in findings if f.path == doc.path and f.start <= offset <= f.end
    )
    return [text for text in map(rule_brief, codes) if text]


def register(server: MpgServer) -> None:
    @server.feature(t.TEXT_DOCUMENT_HOVER)
    def hover(ls: MpgServer, params: t.HoverParams) -> t.Hover | None:
        session = ls.session
        doc = session.document(params.text_document.uri)
        if doc is None:
            return None
        pos = params.position
        offset = doc.offset_at(pos.line, pos.character, session.encoding)
        code = _rule_code(doc, offset)
        if code is not None:
            text, start, end = code
            return t.Hover(
                contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
                range=to_range(doc, start, end, session.encoding),
            )
        if doc.lang is Lang.ELIXIR:
            found = _elixir(session, doc, offset)
        elif _is_fly(session, doc.path):
            found = _toml(doc, offset)
        else:
            found = None
        briefs = _diagnostic_docs(session, doc, offset)
        if found is None and not briefs:
            return None
        texts = [*briefs, found[0]] if found is not None else briefs
        return t.Hover(
            contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value="\n\n---\n\n".join(texts)),
            range=to_range(doc, found[1].start_byte, found[1].end_byte, session.encoding)
            if found
            else None,
        )
