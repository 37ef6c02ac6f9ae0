"""Fix edits that respect the layout of what they touch.

A new keyword pair or list item goes where the user would have typed it: on its own line at
the same indentation when the list has one item per line (keeping or not keeping a trailing
comma, as the list does), or after ``, `` when the list is on one line. New lines use the
document's own line ending, so a CRLF file stays CRLF. Config text added to runtime.exs goes
at the end of its prod block, at the file's own indentation step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mpg_lsp.project.elixir_config import Admits, condition_admits
from mpg_lsp.project.model import ProdView
from mpg_lsp.project.values import KeywordList
from mpg_lsp.rules.base import Edit, Finding, Fix
from mpg_lsp.syntax import elixir as ex
from mpg_lsp.syntax.document import Document

_SPACE = re.compile(rb"[ \t]*")


def _line_rest(doc: Document, pos: int) -> tuple[int, bytes]:
    """End of pos's line (before the break) and the bytes from pos to it."""
    line = doc.lines.line_of(pos)
    _, end = doc.lines.line_bounds(line, doc.text)
    return end, doc.text[pos:end]


def _indent_before(doc: Document, pos: int) -> str | None:
    """The whitespace before ``pos`` on its line, or None when code precedes it."""
    line = doc.lines.line_of(pos)
    start = doc.lines.starts[line]
    prefix = doc.text[start:pos]
    if prefix.strip(b" \t"):
        return None
    return prefix.decode("utf-8", "replace")


def append_item(
    doc: Document,
    items: list[tuple[int, int]],
    new: str | tuple[str, ...],
    open_end: int | None = None,
) -> tuple[Edit, ...]:
    """Add ``new`` (one item, or several in order) after the last of ``items`` (byte ranges),
    in the list's layout.

    ``open_end`` is where an empty list's inside starts (just after ``[``), used when
    ``items`` is empty.
    """
    path = doc.path
    several = (new,) if isinstance(new, str) else new
    if not items:
        if open_end is None:
            return ()
        return (Edit(path, open_end, open_end, ", ".join(several)),)
    last_start, last_end = items[-1]
    eol = doc.line_ending().decode()
    indent = _indent_before(doc, last_start)
    one_per_line = indent is not None and (
        len(items) == 1 or doc.lines.line_of(items[0][0]) != doc.lines.line_of(last_start)
    )
    new = f",{eol}{indent}".join(several) if one_per_line else ", ".join(several)
    after = _SPACE.match(doc.text, last_end)
    comma = after.end() if after and doc.text[after.end() : after.end() + 1] == b"," else None
    if not one_per_line:
        if comma is not None:
            return (Edit(path, comma + 1, comma + 1, f" {new},"),)
        return (Edit(path, last_end, last_end, f", {new}"),)
    assert indent is not None
    line_end, rest = _line_rest(doc, (comma + 1) if comma is not None else last_end)
    rest_is_trivia = not rest.strip() or rest.lstrip().startswith(b"#")
    if comma is not None:
        at = line_end if rest_is_trivia else comma + 1
        return (Edit(path, at, at, f"{eol}{indent}{new},"),)
    if rest_is_trivia and rest.strip():
        # a comment follows the last item: the comma goes before it, the item after it
        return (
            Edit(path, last_end, last_end, ","),
            Edit(path, line_end, line_end, f"{eol}{indent}{new}"),
        )
    return (Edit(path, last_end, last_end, f",{eol}{indent}{new}"),)


def _whole_lines(doc: Document, start: int, end: int) -> tuple[int, int]:
    """From the start of ``start``'s line to the start of the line after ``end``'s."""
    first = doc.lines.line_of(start)
    after = doc.lines.line_of(end) + 1
    stop = doc.lines.starts[after] if after < len(doc.lines) else len(doc.text)
    return doc.lines.starts[first], stop


def remove_item(doc: Document, items: list[tuple[int, int]], index: int) -> tuple[Edit, ...]:
    """Remove one element of a list with its separator, leaving a valid list. An element on
    a line of its own goes with its line (and its trailing comment)."""
    path = doc.path
    start, end = items[index]
    after = _SPACE.match(doc.text, end)
    has_comma = after is not None and doc.text[after.end() : after.end() + 1] == b","
    own_line = _indent_before(doc, start) is not None
    sep_end = (after.end() + 1) if (has_comma and after is not None) else end
    line_end, rest = _line_rest(doc, sep_end)
    alone = own_line and (not rest.strip() or rest.lstrip().startswith(b"#"))
    if has_comma:
        if alone:
            return (Edit(path, *_whole_lines(doc, start, line_end), ""),)
        nxt = _SPACE.match(doc.text, sep_end)
        return (Edit(path, start, nxt.end() if nxt else sep_end, ""),)
    if index > 0:
        prev_end = items[index - 1][1]
        if alone:
            # the last element on its own line: drop the line, and the comma before it
            comma = _SPACE.match(doc.text, prev_end)
            at = comma.end() if comma else prev_end
            edits = [Edit(path, *_whole_lines(doc, start, line_end), "")]
            if doc.text[at : at + 1] == b",":
                edits.insert(0, Edit(path, at, at + 1, ""))
            return tuple(edits)
        return (Edit(path, prev_end, end, ""),)
    if alone:
        return (Edit(path, *_whole_lines(doc, start, line_end), ""),)
    return (Edit(path, start, end, ""),)


# -- Elixir config: keyword pairs, indentation, the prod block of runtime.exs -------------------


def add_pair(doc: Document, options: KeywordList, key: str, value: str) -> tuple[Edit, ...]:
    """Edits that add ``key: value`` as the last pair of ``options``."""
    return add_pairs(doc, options, ((key, value),))


def add_pairs(
    doc: Document, options: KeywordList, pairs: tuple[tuple[str, str], ...]
) -> tuple[Edit, ...]:
    """Edits that add ``pairs`` (key, value), in order, after the last pair of ``options``."""
    new = tuple(
        f"{{:{key}, {value}}}" if options.tuple_style else f"{key}: {value}" for key, value in pairs
    )
    items = [(p.span.start, p.span.end) for p in options.pairs]
    open_end = options.span.start + 1 if options.text.startswith("[") else None
    return append_item(doc, items, new, open_end)


def inet6_binding(view: ProdView, path: str, before: int) -> str | None:
    """A binding in scope whose value mentions `:inet6`, like the generator's `maybe_ipv6`."""
    for binding in reversed(view.bindings.get(path, [])):
        if binding.span.start < before and ":inet6" in binding.value.text:
            return binding.name
    return None


def indent_step(doc: Document) -> str:
    """One level of the file's indentation: a tab in a tab-indented file, else the narrowest
    indentation in spaces (two when nothing is indented)."""
    widths = []
    for match in re.finditer(rb"(?:^|\n|\r)([ \t]+)\S", doc.text):
        lead = match.group(1)
        if lead.startswith(b"\t"):
            return "\t"
        widths.append(len(lead))
    return " " * min(widths) if widths else "  "


def prod_block_end(doc: Document) -> tuple[int, str] | None:
    """Where a statement goes at the end of runtime.exs's last `if <prod> do` block, and its
    indentation; None when there is no such block."""
    found = None
    for node in doc.tree.root_node.named_children:
        if node.type != ex.CALL or ex.call_name(node) != "if" or node.has_error:
            continue
        args = ex.arguments(node)
        block = ex.do_block(node)
        if not args or block is None or condition_admits(args[0]) is not Admits.YES:
            continue
        found = (node, block)
    if found is None:
        return None
    node, block = found
    body = ex.block_body(block)
    lines = doc.lines
    if body:
        last = body[-1]
        first_line = lines.line_of(body[0].start_byte)
        indent = doc.text[lines.starts[first_line] : body[0].start_byte].decode("utf-8", "replace")
        if indent.strip():
            return None  # a statement sharing its line with `do`: no layout to follow
        _, end = lines.line_bounds(lines.line_of(last.end_byte), doc.text)
        return end, indent
    line = lines.line_of(node.start_byte)
    outer = doc.text[lines.starts[line] : node.start_byte].decode("utf-8", "replace")
    if outer.strip():
        return None
    do_line = lines.line_of(block.start_byte)
    _, end = lines.line_bounds(do_line, doc.text)
    return end, outer + indent_step(doc)


def conflicts(a: Edit, b: Edit) -> bool:
    """Whether two edits touch or overlap, so applying both in one go is ambiguous."""
    return a.path == b.path and a.start <= b.end and b.start <= a.end


_TOML_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def toml_string(value: str, prefer: str = '"') -> str:
    """A TOML string literal for ``value``, in the preferred quote style when it can be."""
    if prefer == "'" and "'" not in value and not _TOML_CONTROL.search(value):
        return f"'{value}'"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    # other control characters are not allowed raw in any TOML string
    escaped = _TOML_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def apply_edits(text: bytes, edits: list[Edit]) -> bytes:
    """Apply non-conflicting edits of one file (byte offsets into ``text``)."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.text.encode("utf-8") + text[edit.end :]
    return text


def preferred_fix(finding: Finding, unsafe: bool = False) -> Fix | None:
    """The fix that fixing everything applies to ``finding``: its preferred fix when marked
    safe (what `mpg-lsp fix` and "Fix all" apply), or with ``unsafe`` any preferred fix."""
    return next((f for f in finding.fixes if f.preferred and (f.safe or unsafe)), None)


def preferred_edits(
    findings: Iterable[Finding], safe_only: bool = True, only_path: str | None = None
) -> list[Edit]:
    """The preferred fix of every finding, skipping any that would collide with one taken
    (and, with ``only_path``, any that edits another file)."""
    chosen: list[Edit] = []
    for finding in findings:
        fix = preferred_fix(finding, unsafe=not safe_only)
        if fix is None or any(conflicts(e, c) for e in fix.edits for c in chosen):
            continue
        if only_path is not None and any(e.path != only_path for e in fix.edits):
            continue
        chosen.extend(fix.edits)
    return chosen
