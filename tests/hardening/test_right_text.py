"""Every edit on the right text, over the real server process: a fix for a file that is not open
is computed on that file as it is on disk now; a change that does not validate leaves its
document out of sync (no diagnostics, no edits) until the editor sends the whole text; and one
file is one document however the client spells its URI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness import FIGURES, Server
from projects import FIXTURES, SAMPLE, copy_project, elixir_errors

VERSIONED = {"workspace": {"workspaceEdit": {"documentChanges": True}}}
HUGE = 2**32 - 1


def _offset(text: str, line: int, character: int) -> int:
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts[line] + character  # ASCII files: UTF-16 units are characters


def _apply(text: str, edits: list[dict[str, Any]]) -> str:
    spans = [
        (
            _offset(text, e["range"]["start"]["line"], e["range"]["start"]["character"]),
            _offset(text, e["range"]["end"]["line"], e["range"]["end"]["character"]),
            e["newText"],
        )
        for e in edits
    ]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _actions(server: Server, uri: str, line: int) -> list[dict[str, Any]]:
    reply = server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {
                "start": {"line": line, "character": 0},
                "end": {"line": line, "character": 0},
            },
            "context": {"diagnostics": []},
        },
    )
    return reply["result"] or []


def _edits_for(action: dict[str, Any], name: str) -> list[tuple[Any, list[dict[str, Any]]]]:
    return [
        (change["textDocument"]["version"], change["edits"])
        for change in action["edit"]["documentChanges"]
        if change["textDocument"]["uri"].endswith(name)
    ]


def _latest(server: Server, uri: str, version: int) -> dict[str, Any]:
    for _ in range(100):
        mine = [p for p in server.published(uri) if p.get("version") == version]
        if mine:
            return mine[-1]
        server.drain(0.1)
    raise AssertionError(f"no diagnostics for version {version}")


def test_a_fix_for_a_file_not_open_is_computed_on_the_file_as_it_is_now(tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "oban_phoenix_notifier", tmp_path / "shop")
    mix = root / "mix.exs"
    server = Server()
    server.initialize(root, VERSIONED)  # a client that watches no files
    config = root / "config" / "config.exs"
    uri = server.open(config)
    line = (
        config.read_text()
        .splitlines()
        .index("  notifier: Oban.Notifiers.Phoenix, # expect: MPG204, MPG205")
    )
    before = [a for a in _actions(server, uri, line) if _edits_for(a, "mix.exs")]
    assert before, "the dependency fix is offered"
    # mix.exs changes on disk behind the server's back: comments above, one dep per line
    mix.write_text(
        "# The shop.\n# Its dependencies are listed one per line now.\n\n"
        + mix.read_text().replace(
            '[{:ecto_sql, "~> 3.12"}, {:postgrex, ">= 0.0.0"}, {:oban, "~> 2.19"}]',
            '[\n      {:ecto_sql, "~> 3.12"},\n      {:postgrex, ">= 0.0.0"},\n'
            '      {:oban, "~> 2.19"}\n    ]',
        )
    )
    after = [a for a in _actions(server, uri, line) if _edits_for(a, "mix.exs")]
    assert after
    for action in after:
        ((version, edits),) = _edits_for(action, "mix.exs")
        assert version is None  # not open: the file on disk
        fixed = _apply(mix.read_text(), edits)
        assert fixed.count("{:oban_notifiers_phoenix") == 1, fixed
        assert '{:oban, "~> 2.19"}' in fixed and ",," not in fixed, fixed
        out = tmp_path / f"fixed-{after.index(action)}.exs"
        out.write_text(fixed)
        assert elixir_errors([out]) == {}, fixed
    FIGURES["fix applications checked by Elixir's parser / tomllib"] += len(after)
    assert server.close() == 0
    assert server.crashes() == []


@pytest.mark.parametrize(
    "bad_change",
    [
        {
            "range": {
                "start": {"line": HUGE, "character": 0},
                "end": {"line": HUGE, "character": 1},
            },
            "text": "x",
        },
        {
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
            "rangeLength": -1,
            "text": "x",
        },
    ],
    ids=["position-2^32-1", "rangeLength--1"],
)
def test_a_change_that_does_not_validate_leaves_the_document_out_of_sync(
    tmp_path: Path, bad_change: dict[str, Any]
) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = root / "config" / "runtime.exs"
    text = runtime.read_text()
    server = Server(log="INFO")
    server.initialize(root, VERSIONED)
    uri = server.open(runtime, text)
    assert any(d["code"] == "MPG101" for d in _latest(server, uri, 1)["diagnostics"])
    repo_line = next(i for i, ln in enumerate(text.splitlines()) if "Repo," in ln)
    assert _actions(server, uri, repo_line)

    def change(version: int, changes: list[dict[str, Any]]) -> None:
        server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    change(2, [bad_change])
    FIGURES["hostile messages"] += 1
    server.hover(uri, 0, 0)  # answered after the change was handled
    server.drain(0.2)
    assert server.published(uri)[-1]["diagnostics"] == [], [
        (p.get("version"), len(p["diagnostics"])) for p in server.published(uri)
    ]
    assert "out of sync" in server.stderr
    assert _actions(server, uri, repo_line) == []  # no edit on a text the editor may not have
    typed = {
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "text": "#",
    }
    change(3, [typed])  # a valid change to a text we do not have: still out of sync
    assert _actions(server, uri, repo_line) == []
    server.drain(0.2)
    assert server.published(uri)[-1]["diagnostics"] == []
    change(4, [typed, {"text": text}])  # the whole text: in sync again
    assert any(d["code"] == "MPG101" for d in _latest(server, uri, 4)["diagnostics"])
    actions = _actions(server, uri, repo_line)
    assert actions and all(v == 4 for a in actions for v, _ in _edits_for(a, "runtime.exs"))
    assert server.close() == 0
    assert server.crashes() == []


def test_one_file_is_one_document_however_its_uri_is_spelled(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = root / "config" / "runtime.exs"
    text = runtime.read_text()
    plain = runtime.as_uri()
    spellings = [
        plain.replace("file://", "FILE://"),
        plain.replace("file://", "file://localhost"),
        plain.replace("/config/", "/config/./"),
        plain.replace("/config/", "/lib/../config/"),
        plain.replace("runtime.exs", "%72untime.exs"),
    ]
    server = Server()
    server.initialize(root, VERSIONED)
    opened = spellings[0]
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": opened, "languageId": "elixir", "version": 1, "text": text}},
    )
    assert any(d["code"] == "MPG101" for d in _latest(server, opened, 1)["diagnostics"])
    repo_line = next(i for i, ln in enumerate(text.splitlines()) if "Repo," in ln)
    version = 1
    for spelling in spellings[1:]:
        version += 1
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": spelling, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": 0, "character": 0},
                            "end": {"line": 0, "character": 0},
                        },
                        "text": " ",
                    }
                ],
            },
        )
        assert any(d["code"] == "MPG101" for d in _latest(server, opened, version)["diagnostics"])
        actions = _actions(server, spelling, repo_line)
        assert actions, spelling
        for action in actions:
            changes = action["edit"]["documentChanges"]
            assert {c["textDocument"]["version"] for c in changes} == {version}, changes
    published = {
        n["params"]["uri"]
        for n in server.notifications
        if n["method"] == "textDocument/publishDiagnostics"
    }
    # the file on disk may have been shown before it was opened (plain); once open, one URI
    assert not any(s in published for s in spellings[1:]), json.dumps(sorted(published))
    FIGURES["hostile messages"] += len(spellings)
    assert server.close() == 0
    assert server.crashes() == []


def test_a_burst_is_applied_whole_and_published_once_for_its_newest_version(
    tmp_path: Path,
) -> None:
    """`prepare: :unnamed, ` typed letter by letter, each letter its own didChange, written in
    one go with requests in the middle: they answer for the text the client had when it asked
    (text and tree; a hover on the new key; code actions without MPG101's fix, which the text
    before the burst had), and the diagnostics go out for the newest version only, without
    MPG101 (the letters were folded and applied, not dropped)."""
    root = copy_project(SAMPLE, tmp_path / "storefront")
    runtime = root / "config" / "runtime.exs"
    text = runtime.read_text()
    server = Server(env={"MPG_LSP_CHECK_SYNC": "1"})
    server.initialize(root, VERSIONED)
    uri = server.open(runtime, text)
    assert any(d["code"] == "MPG101" for d in _latest(server, uri, 1)["diagnostics"])
    lines = text.split("\n")
    url_line = next(i for i, ln in enumerate(lines) if ln.strip() == "url: database_url,")
    repo_line = next(i for i, ln in enumerate(lines) if "Repo," in ln)

    def fixed_codes(actions: list[dict[str, Any]]) -> set[str]:
        return {d.get("code") for a in actions for d in a.get("diagnostics") or []}

    assert "MPG101" in fixed_codes(_actions(server, uri, repo_line))
    burst = b""
    version, mid_id, mid_text = 1, 900, ""
    for i, letter in enumerate("prepare: :unnamed, "):
        version += 1
        at = {"line": url_line, "character": 4 + i}
        change = {"range": {"start": at, "end": at}, "text": letter}
        message = {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [change],
            },
        }
        lines[url_line] = lines[url_line][: 4 + i] + letter + lines[url_line][4 + i :]
        body = json.dumps(message).encode()
        burst += b"Content-Length: %d\r\n\r\n" % len(body) + body
        if letter == ":" and not mid_text:  # `prepare:` typed: ask what the server holds
            mid_text = "\n".join(lines)
            ask = {"jsonrpc": "2.0", "id": mid_id, "method": "mpgLsp/syncState"}
            body = json.dumps({**ask, "params": {"uri": uri}}).encode()
            burst += b"Content-Length: %d\r\n\r\n" % len(body) + body
        if letter == ",":  # `prepare: :unnamed,` typed: hover on it, ask for fixes
            for ask in (
                {
                    "id": mid_id + 1,
                    "method": "textDocument/hover",
                    "params": {
                        "textDocument": {"uri": uri},
                        "position": {"line": url_line, "character": 6},
                    },
                },
                {
                    "id": mid_id + 2,
                    "method": "textDocument/codeAction",
                    "params": {
                        "textDocument": {"uri": uri},
                        "range": {
                            "start": {"line": repo_line, "character": 0},
                            "end": {"line": repo_line, "character": 0},
                        },
                        "context": {"diagnostics": []},
                    },
                },
            ):
                body = json.dumps({"jsonrpc": "2.0", **ask}).encode()
                burst += b"Content-Length: %d\r\n\r\n" % len(body) + body
    assert server.proc.stdin is not None
    server.proc.stdin.write(burst)
    server.proc.stdin.flush()
    state = server.wait_answer(mid_id)["result"]
    assert state["text"] == mid_text
    assert state["treeMatchesFreshParse"]
    hover = server.wait_answer(mid_id + 1)["result"]
    assert hover and "**`prepare`**" in hover["contents"]["value"]
    assert "MPG101" not in fixed_codes(server.wait_answer(mid_id + 2)["result"] or [])
    final = _latest(server, uri, version)
    assert not any(d["code"] == "MPG101" for d in final["diagnostics"])
    during = [p["version"] for p in server.published(uri) if p.get("version") not in (None, 1)]
    assert during[-1] == version and during == sorted(during)
    assert len(during) == 1, during  # the rest was queued behind: one check, the last
    assert server.request("mpgLsp/syncState", {"uri": uri})["result"]["text"] == "\n".join(lines)
    assert server.close() == 0
    assert server.crashes() == []
