"""It never dies and keeps serving: one server takes every hostile input below in turn, and
after each one it must still answer a hover on a normal project's file and publish that file's
diagnostics (the canary), with no exception logged from mpg-lsp's code.

Tests run as root here, and root reads a `chmod 000` file: the server runs without root's
CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (setpriv) so unreadable files and folders are really
unreadable; test_filesystem.py covers them in process too."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import FIGURES, Canary, Server, without_root_privileges
from projects import SAMPLE, copy_project

HUGE = 2**31 - 1
DEEP = 5000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("survival")
    server = Server(prefix=without_root_privileges())
    server.initialize(base, {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})
    canary = Canary(server, base / "canary")
    canary.check("start")
    yield server, canary, base
    code = server.close()
    assert code == 0, server.stderr[-3000:]


def _victim(base: Path, name: str) -> Path:
    return copy_project(SAMPLE, base / name)


def _watched(server: Server, *paths: Path, kind: int = 2) -> None:
    server.notify(
        "workspace/didChangeWatchedFiles",
        {"changes": [{"uri": p.as_uri(), "type": kind} for p in paths]},
    )


def _change(server: Server, uri: str, version: int, *changes: dict) -> None:
    server.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": version}, "contentChanges": list(changes)},
    )


def _range(sl: int, sc: int, el: int, ec: int) -> dict:
    return {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}


def _poke(server: Server, uri: str) -> None:
    """Hover at a few places and ask for every code action: each gets a non-crash answer."""
    for line, character in ((0, 0), (0, 5), (1, 1), (3, 10), (HUGE, HUGE)):
        reply = server.hover(uri, line, character)
        assert "result" in reply, reply
    for only in (None, ["source.fixAll.mpg-lsp"]):
        context: dict = {"diagnostics": []}
        if only:
            context["only"] = only
        reply = server.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": _range(0, 0, HUGE, HUGE), "context": context},
        )
        assert "result" in reply, reply


# -- the hostile inputs: each returns how many it tried --------------------------------------


def unopened_and_reopened(server: Server, base: Path) -> int:
    root = _victim(base, "unopened")
    uri = (root / "config" / "runtime.exs").as_uri()
    _change(server, uri, 2, {"text": "x"})
    _change(server, uri, 3, {"range": _range(0, 0, 0, 1), "text": "y"})
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}, "text": "z"})
    server.open(root / "config" / "runtime.exs")
    server.open(root / "config" / "runtime.exs", "config :x, X.Repo, url: 1\n")  # opened twice
    server.open(root / "config" / "runtime.exs", "")  # and a third time, empty
    _poke(server, uri)
    for uri in ("untitled:Untitled-1", "git:/x/config/runtime.exs?ref=HEAD"):
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "elixir",
                    "version": 1,
                    "text": "config :a, A.Repo, url: 1",
                }
            },
        )
        _change(server, uri, 2, {"text": "x"})
        _poke(server, uri)
    return 10


def edits_past_the_end(server: Server, base: Path) -> int:
    root = _victim(base, "past_end")
    uri = server.open(root / "config" / "runtime.exs")
    changes = [
        {"range": _range(10**6, 0, 10**6, 5), "text": "config :a, A.Repo, url: 1\n"},
        {"range": _range(HUGE, HUGE, HUGE, HUGE), "text": "\n# tail"},
        {"range": _range(5, HUGE, 5, HUGE), "text": "x"},
        {"range": _range(7, 3, 2, 1), "text": "reversed"},  # end before start
        {"range": _range(0, 0, HUGE, 0), "text": ""},  # delete everything
        {"range": _range(3, 3, 3, 3), "text": "into nothing"},
    ]
    for version, change in enumerate(changes, start=2):
        _change(server, uri, version, change)
    _poke(server, uri)
    return len(changes)


def split_line_breaks_and_surrogates(server: Server, base: Path) -> int:
    root = _victim(base, "splits")
    path = root / "config" / "runtime.exs"
    text = (
        'import Config\r\nconfig :storefront, Storefront.Repo,\r\n  url: "🚀 é 日本",\r\n'
        "  pool_size: 2\r\n"
    )
    uri = server.open(path, text)
    changes = [
        {"range": _range(0, 13, 0, 13), "text": "x\r"},  # a \r just before a \r\n
        {"range": _range(1, 0, 1, 0), "text": "\n"},  # a \n just after a \r
        {"range": _range(2, 9, 2, 10), "text": ""},  # half of 🚀's surrogate pair
        {"range": _range(2, 8, 2, 9), "text": "\ud83d"},  # a lone high surrogate from JSON
        {"range": _range(3, 0, 3, 0), "text": "\udc00\ud800"},  # reversed pair
        {"range": _range(1, 2, 1, 2), "text": "\x00\u2028\u2029\x85\x0c\ufeff\u202e"},
        {"range": _range(0, 0, 0, 0), "text": "\ufeff"},  # a BOM at the start
    ]
    for version, change in enumerate(changes, start=2):
        _change(server, uri, version, change)
    _poke(server, uri)
    server.open(root / "fly.toml", "app = '\ud83d'\r\n[env]\r\n  DATABASE_URL = '\x00'\u2028\r")
    _poke(server, (root / "fly.toml").as_uri())
    # many changes in one notification, mixed full and partial
    many = [
        {"range": _range(i % 5, i % 7, i % 5, i % 7 + 1), "text": "🚀\r" if i % 3 else "\n"}
        for i in range(300)
    ]
    many.insert(150, {"text": text})
    _change(server, uri, 100, *many)
    _poke(server, uri)
    return len(changes) + 3  # the edits, a hostile fly.toml buffer, one notification of 301 changes


def invalid_utf8_on_disk(server: Server, base: Path) -> int:
    root = _victim(base, "bad_utf8")
    runtime, fly = root / "config" / "runtime.exs", root / "fly.toml"
    runtime.write_bytes(
        b"\xff\xfe" + runtime.read_bytes().replace(b"url:", b"url:\xc3\x28 \xed\xa0\xbd") + b"\x80"
    )
    fly.write_bytes(fly.read_bytes().replace(b"[env]", b"[env\xff]\n\xfe = '\xc0\xaf'"))
    (root / "mix.lock").write_bytes(b'%{\xff\x00"oban": {:hex, :oban, "2.\xfe"}}')
    _watched(server, runtime, fly, root / "mix.lock")
    uri = server.open(
        root / "config" / "config.exs"
    )  # opens the project: the rest is read from disk
    _poke(server, uri)
    return 3


def huge_and_binary_fly_toml(server: Server, base: Path) -> int:
    root = _victim(base, "huge")
    fly = root / "fly.toml"
    big = fly.read_text() + "".join(f"k{i} = 'value {i}'\n" for i in range(20 * 1024 * 1024 // 18))
    fly.write_text(big)  # 20 MB on disk
    _watched(server, fly)
    uri = server.open(root / "config" / "runtime.exs")
    _poke(server, uri)
    fly_uri = server.open(fly, big)  # and opened in the editor
    _poke(server, fly_uri)
    _change(server, fly_uri, 2, {"range": _range(0, 0, 0, 0), "text": "x"})
    server.notify("textDocument/didClose", {"textDocument": {"uri": fly_uri}})
    binary = os.urandom(512 * 1024)
    fly.write_bytes(binary)  # binary on disk
    _watched(server, fly)
    _poke(server, uri)
    fly_uri = server.open(fly, binary.decode("latin-1"))  # and opened
    _poke(server, fly_uri)
    runtime = root / "config" / "runtime.exs"
    server.open(runtime, os.urandom(256 * 1024).decode("utf-8", "surrogateescape"))  # binary buffer
    _poke(server, uri)
    grown = server.open(root / "config" / "prod.exs")  # a buffer growing past the limit
    _change(server, grown, 2, {"range": _range(0, 0, 0, 0), "text": "a = 1\n" * (1024 * 1024)})
    _change(server, grown, 3, {"range": _range(0, 0, 0, 0), "text": "x"})  # no longer open
    return 6


def deep_nesting(server: Server, base: Path) -> int:
    root = _victim(base, "deep")
    c = "config :storefront, Storefront.Repo, url: 1, pool_size: 2\n"
    files = {
        "config/runtime.exs": "import Config\nconfig :storefront, Storefront.Repo, url: "
        + "[" * DEEP
        + "1"
        + "]" * DEEP
        + "\n",
        "config/prod.exs": "import Config\n"
        + "if config_env() == :prod do\n" * DEEP
        + c
        + "end\n" * DEEP,
        "config/config.exs": "import Config\nif "
        + "not " * DEEP
        + "x do\n"
        + c
        + "end\n"
        + "if "
        + "config_env() == :prod and " * DEEP
        + "true do\n"
        + c
        + "end\n"
        + "x = "
        + 'System.get_env("A") || ' * DEEP
        + "1\n"
        + "config :storefront, Storefront.Repo, url: "
        + "%{a: " * DEEP
        + "1"
        + "}" * DEEP
        + "\n",
        "fly.toml": "[env]\n"
        + ".".join(["a"] * DEEP)
        + " = 1\n"
        + "b = "
        + "[" * DEEP
        + "]" * DEEP
        + "\n"
        + "c = "
        + "{d = " * DEEP
        + "1"
        + "}" * DEEP
        + "\n",
        "mix.exs": "defmodule M do\n"
        + "defmodule N do\n" * DEEP
        + 'defp deps, do: [{:oban, "~> 2.0"}]\n'
        + "end\n" * DEEP
        + "end\n",
        "lib/storefront/application.ex": "defmodule A do\ndef start(_, _) do\nchildren = [{Oban, "
        + "Keyword.put(" * DEEP
        + "Application.fetch_env!(:storefront, Oban)"
        + ", :a, 1)" * DEEP
        + "}]\nend\nend\n",
        "config/unbalanced.exs": "config :a, A.Repo, url: " + "([{" * DEEP,
    }
    for rel, text in files.items():
        (root / rel).write_text(text)
    _watched(server, *(root / rel for rel in files))
    for rel, text in files.items():  # on disk, then in the editor
        uri = server.open(root / rel, text)
        _poke(server, uri)
    return 2 * len(files)


def symlinks_and_special_files(server: Server, base: Path) -> int:
    root = _victim(base, "links")
    (root / "config" / "loop").symlink_to(root / "config")
    (root / "lib" / "self").symlink_to(root / "lib")
    (root / "deploy").mkdir()
    (root / "deploy" / "again").symlink_to(root / "deploy")
    (root / "deploy" / "a.toml").symlink_to(root / "deploy" / "a.toml")  # ELOOP
    (root / "fly.staging.toml").symlink_to("/dev/zero")
    os.mkfifo(root / "fly.production.toml")  # reading a pipe would block forever
    (root / "fly.dev.toml").mkdir()
    (root / "config" / "releases.exs").symlink_to(root / "nowhere.exs")  # dangling
    (root / "config" / "prod.exs").chmod(0)
    (root / "fly.toml").chmod(0)
    (root / "lib" / "storefront").chmod(0)  # an unreadable folder
    (root / "rel").chmod(0o111)  # searchable, not listable
    _watched(
        server,
        root / "fly.staging.toml",
        root / "fly.production.toml",
        root / "deploy" / "a.toml",
        kind=1,
    )
    uri = server.open(root / "config" / "runtime.exs")
    _poke(server, uri)
    server.open(root / "fly.production.toml", "")
    _poke(server, (root / "fly.production.toml").as_uri())
    if without_root_privileges():  # the server really was refused, and said so
        assert f"cannot read {root / 'fly.toml'}: Permission denied" in server.stderr
    assert f"skipping {root / 'fly.production.toml'}: not a regular file" in server.stderr
    return 11


def project_deleted_while_open(server: Server, base: Path) -> int:
    root = _victim(base, "deleted")
    uris = [server.open(root / rel) for rel in ("config/runtime.exs", "fly.toml", "mix.exs")]
    shutil.rmtree(root)
    _watched(
        server,
        root / "config" / "runtime.exs",
        root / "fly.toml",
        root / "mix.exs",
        root / "config" / "config.exs",
        kind=3,
    )
    for version, uri in enumerate(uris, start=2):
        _change(server, uri, version, {"range": _range(0, 0, 0, 0), "text": "# gone\n"})
        _poke(server, uri)
    server.notify("textDocument/didSave", {"textDocument": {"uri": uris[0]}})
    for uri in uris:
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    root.mkdir()  # and a folder comes back under the same name, empty
    _watched(server, root / "mix.exs", kind=1)
    return 3


def hostile_settings(server: Server, base: Path) -> int:
    root = _victim(base, "settings")
    (root / ".mpg-lsp.toml").write_bytes(
        b"pool-mode = 42\nselect = 'x'\nseverity = [1]\n\xff\n" + b"a = " + b"[" * DEEP
    )
    _watched(server, root / ".mpg-lsp.toml")
    uri = server.open(root / "config" / "runtime.exs")
    _poke(server, uri)
    server.open(
        root / ".mpg-lsp.toml",
        "enabled = 'maybe'\n[severity]\nMPG101 = 'fatal'\nMPG999 = 'error'\n",
    )
    settings: object
    for settings in (
        {"mpgLsp": {"poolMode": 42, "select": "x", "severity": [1], "directPoolMax": -1}},
        {"mpgLsp": None},
        [1, 2],
        "x",
        None,
        {"mpgLsp": {"enabled": {"deep": [[[]]]}}},
    ):
        server.notify("workspace/didChangeConfiguration", {"settings": settings})
    _poke(server, uri)
    return 8


def watched_file_storm(server: Server, base: Path) -> int:
    changes = [
        {"uri": f"file:///nowhere/{i}/config/runtime.exs", "type": 1 + i % 3} for i in range(5000)
    ]
    changes += [
        {"uri": "untitled:x", "type": 2},
        {"uri": "http://example.com/fly.toml", "type": 1},
        {"uri": "file:///", "type": 3},
    ]
    server.notify("workspace/didChangeWatchedFiles", {"changes": changes})
    root = _victim(base, "storm")
    for i in range(100):  # rapid open/close
        path = root / "config" / f"extra{i}.exs"
        uri = server.open(
            path, f"import Config\nconfig :storefront, Storefront.Repo, pool_size: {i}\n"
        )
        server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return 3  # a storm of 5,000 watched-file events, odd URIs, 100 open/close pairs


HOSTILE: list[Callable[[Server, Path], int]] = [
    unopened_and_reopened,
    edits_past_the_end,
    split_line_breaks_and_surrogates,
    invalid_utf8_on_disk,
    huge_and_binary_fly_toml,
    deep_nesting,
    symlinks_and_special_files,
    project_deleted_while_open,
    hostile_settings,
    watched_file_storm,
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.__name__ for h in HOSTILE])
def test_still_serving_after(world, hostile: Callable[[Server, Path], int]) -> None:
    server, canary, base = world
    FIGURES["hostile inputs"] += hostile(server, base)
    try:
        canary.check(hostile.__name__)
    except AssertionError:
        FIGURES["crashes"] += 1
        raise


def _utf16(text: str, index: int) -> dict[str, int]:
    """The LSP position of ``text[index]``, a lone surrogate counting as one unit."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    line = max(i for i, s in enumerate(starts) if s <= index)
    return {
        "line": line,
        "character": len(text[starts[line] : index].encode("utf-16-le", "surrogatepass")) // 2,
    }


def test_lone_surrogates_and_replacement_characters_stay_in_sync(tmp_path: Path) -> None:
    """A lone surrogate arrives in JSON (`"\\ud83d"`), and U+FFFD is a character like any other:
    edits after either on the same line must land where the client put them."""
    root = _victim(tmp_path, "sync")
    server = Server(env={"MPG_LSP_CHECK_SYNC": "1"})
    server.initialize(root)
    path = root / "config" / "runtime.exs"
    text = (
        'import Config\nname = "caf\ufffd \ud83d" <> "tail"\nother = "\udc00" # \ufffd\ufffd then\n'
    )
    uri = server.open(path, text)
    edits = [
        ("tail", "TAIL"),
        (" then", " now"),
        ("\ud83d", "\ud83d\ud83d"),
        ("caf", "CAFE"),
        ("now", "\ud83d!"),
    ]
    for version, (old, new) in enumerate(edits, start=2):
        at = text.index(old)
        change = {
            "range": {"start": _utf16(text, at), "end": _utf16(text, at + len(old))},
            "text": new,
        }
        text = text[:at] + new + text[at + len(old) :]
        _change(server, uri, version, change)
    state = server.request("mpgLsp/syncState", {"uri": uri})["result"]
    FIGURES["hostile inputs"] += len(edits)
    assert state["text"] == text
    assert server.close() == 0
    assert server.crashes() == []
