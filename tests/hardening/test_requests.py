"""Every request gets an answer: before initialize, after shutdown, for documents that were
never opened or are not files, at positions far past the end, and in shapes no client sends.

A dropped request is caught without waiting for a timeout: the server reads messages in order,
so a later request's answer arriving without the earlier one's means the earlier was dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import FIGURES, Server
from projects import SAMPLE, copy_project

HUGE = 2**31 - 1  # LSP's uinteger maximum
NOT_FILES = [
    "untitled:Untitled-1",
    "http://example.com/config/runtime.exs",
    "vscode-notebook-cell:/x.exs#W0",
    "file:///nonexistent/config/runtime.exs",
    "file:///",
    "",
    "not a uri",
    "file:///%ZZ/fly.toml",
    "file://host/share/config/runtime.exs",
]
SERVER_NOT_INITIALIZED, INVALID_REQUEST, INVALID_PARAMS, METHOD_NOT_FOUND = (
    -32002,
    -32600,
    -32602,
    -32601,
)


def _position_requests(uri: str, line: int = 0, character: int = 0) -> list[tuple[str, dict]]:
    position = {"line": line, "character": character}
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": HUGE, "character": HUGE}}
    return [
        ("textDocument/hover", {"textDocument": {"uri": uri}, "position": position}),
        (
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": []}},
        ),
        (
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": whole,
                "context": {"diagnostics": [], "only": ["source.fixAll.mpg-lsp"]},
            },
        ),
        ("textDocument/diagnostic", {"textDocument": {"uri": uri}}),
    ]


def _answered_ok(reply: dict) -> bool:
    """A result, or an error the protocol allows for the request (never a crash's -32603)."""
    return "result" in reply or reply.get("error", {}).get("code") in (
        SERVER_NOT_INITIALIZED,
        INVALID_REQUEST,
        INVALID_PARAMS,
        METHOD_NOT_FOUND,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_project(SAMPLE, tmp_path / "storefront")


def test_requests_before_initialize_are_refused_and_notifications_dropped(root: Path) -> None:
    server = Server()
    try:
        uri = (root / "config" / "runtime.exs").as_uri()
        server.open(root / "config" / "runtime.exs")  # dropped: the server is not initialized
        for method, params in _position_requests(uri):
            reply = server.request(method, params)
            FIGURES["hostile messages"] += 1
            assert reply["error"]["code"] == SERVER_NOT_INITIALIZED, (method, reply)
        assert server.request("shutdown", None)["error"]["code"] == SERVER_NOT_INITIALIZED
        assert "capabilities" in server.initialize(root)["result"]
        # the didOpen before initialize was dropped, as LSP asks: nothing is open yet (the
        # file's problems on disk are published, without a version, as the workspace's are)
        assert server.hover(uri, 0, 0)["result"] is None
        assert [p for p in server.published(uri) if p.get("version") is not None] == []
    finally:
        assert server.close() == 0
    assert server.crashes() == []


@pytest.mark.parametrize("pull", [False, True], ids=["push", "pull"])
def test_never_opened_and_non_file_documents_and_huge_positions(root: Path, pull: bool) -> None:
    server = Server()
    caps = (
        {"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": True}}}
        if pull
        else {}
    )
    server.initialize(root, caps)
    runtime = root / "config" / "runtime.exs"
    never = (root / "config" / "prod.exs").as_uri()
    opened = server.open(runtime)
    targets = [*NOT_FILES, never, opened]
    try:
        for uri in targets:
            for line, character in ((0, 0), (HUGE, HUGE), (10**6, 3)):
                for method, params in _position_requests(uri, line, character):
                    reply = server.request(method, params)
                    FIGURES["hostile messages"] += 1
                    assert _answered_ok(reply), (uri, method, line, character, reply)
                    if method == "textDocument/diagnostic" and not pull:
                        assert reply["error"]["code"] == METHOD_NOT_FOUND  # not advertised
                    elif method == "textDocument/diagnostic" and uri != opened:
                        assert reply["result"]["items"] == []
        # positions out of LSP's range do not validate: answered, not dropped
        for line in (-1, 2**31, 2**53, 2**64):
            reply = server.hover(opened, line, 0)
            FIGURES["hostile messages"] += 1
            assert reply["error"]["code"] == INVALID_PARAMS
        # the open document still works
        text = runtime.read_text().splitlines()
        line = next(i for i, ln in enumerate(text) if "pool_size:" in ln)
        assert (
            "pool_size"
            in server.hover(opened, line, text[line].index("pool_size"))["result"]["contents"][
                "value"
            ]
        )
    finally:
        assert server.close() == 0
    assert server.crashes() == []


ODD_REQUESTS: list[tuple[str, bytes, object]] = [
    (
        "no jsonrpc member",
        json.dumps({"id": 1, "method": "textDocument/hover", "params": {}}).encode(),
        1,
    ),
    (
        "jsonrpc 1.0",
        json.dumps(
            {"jsonrpc": "1.0", "id": 2, "method": "textDocument/hover", "params": {}}
        ).encode(),
        2,
    ),
    (
        "string id",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": "three",
                "method": "textDocument/hover",
                "params": {
                    "textDocument": {"uri": "untitled:x"},
                    "position": {"line": 0, "character": 0},
                },
            }
        ).encode(),
        "three",
    ),
    (
        "float id",
        json.dumps(
            {"jsonrpc": "2.0", "id": 4.5, "method": "textDocument/hover", "params": {}}
        ).encode(),
        4.5,
    ),
    (
        "array id",
        json.dumps(
            {"jsonrpc": "2.0", "id": [5], "method": "textDocument/hover", "params": {}}
        ).encode(),
        None,  # an id that is no id is answered with a null one, as JSON-RPC asks
    ),
    (
        "params as array",
        json.dumps(
            {"jsonrpc": "2.0", "id": 6, "method": "textDocument/hover", "params": [1, 2]}
        ).encode(),
        6,
    ),
    (
        "no params",
        json.dumps({"jsonrpc": "2.0", "id": 7, "method": "textDocument/codeAction"}).encode(),
        7,
    ),
    (
        "null params",
        json.dumps(
            {"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover", "params": None}
        ).encode(),
        8,
    ),
    (
        "method not a string",
        json.dumps({"jsonrpc": "2.0", "id": 9, "method": 42, "params": {}}).encode(),
        9,
    ),
    (
        "notification method with an id",
        json.dumps({"jsonrpc": "2.0", "id": 10, "method": "initialized", "params": {}}).encode(),
        10,
    ),
    (
        "cancel with an id",
        json.dumps(
            {"jsonrpc": "2.0", "id": 11, "method": "$/cancelRequest", "params": {"id": 11}}
        ).encode(),
        11,
    ),
    (
        "didOpen as a request",
        json.dumps(
            {"jsonrpc": "2.0", "id": 12, "method": "textDocument/didOpen", "params": {}}
        ).encode(),
        12,
    ),
    (
        "unknown command",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 13,
                "method": "workspace/executeCommand",
                "params": {"command": "mix ecto.migrate", "arguments": []},
            }
        ).encode(),
        13,
    ),
    (
        "unknown method",
        json.dumps({"jsonrpc": "2.0", "id": 14, "method": "mpgLsp/nope", "params": {}}).encode(),
        14,
    ),
    (
        "wrong types",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 15,
                "method": "textDocument/hover",
                "params": {
                    "textDocument": {"uri": 7},
                    "position": {"line": "0", "character": None},
                },
            }
        ).encode(),
        15,
    ),
    (
        "second initialize",
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 16,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ).encode(),
        16,
    ),
]
# Not requests anyone can answer (no id can be read), sent to check they do no harm.
GARBAGE = [
    b"{not json",
    b"\xff\xfe\x00",
    b"42",
    b"null",
    b"[]",
    b'"x"',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": '
    + b"[" * 50_000
    + b"]" * 50_000
    + b"}",
    json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": "file:///x/fly.toml", "version": 1},
                "contentChanges": [{"text": "x"}],
            },
        }
    ).encode(),
    json.dumps({"jsonrpc": "2.0", "id": 99, "result": None}).encode(),  # a response to nothing
    json.dumps({"jsonrpc": "2.0", "id": 98, "error": {"code": 1, "message": "x"}}).encode(),
]


def test_odd_requests_all_answered_and_garbage_survived(root: Path) -> None:
    server = Server()
    server.initialize(root)
    try:
        for name, body, msg_id in ODD_REQUESTS:
            server.send_raw(body)
            FIGURES["hostile messages"] += 1
            reply = server.answered(msg_id)
            assert reply is not None, f"{name}: never answered"
            assert "result" in reply or "error" in reply, (name, reply)
        for body in GARBAGE:
            server.send_raw(body)
            FIGURES["hostile messages"] += 1
        uri = server.open(root / "config" / "runtime.exs")
        assert server.hover(uri, 0, 0)["result"] is None  # answered, alive
        assert server.proc.poll() is None
    finally:
        assert server.close() == 0
    assert server.crashes() == []
    # A method we do not offer is the client's business, not a server error in the log.
    unknown = [line for line in server.stderr.splitlines() if "mpgLsp/nope" in line]
    assert unknown and not any(" ERROR " in line for line in unknown), unknown


def test_requests_after_shutdown_are_refused_and_exit_is_clean(root: Path) -> None:
    server = Server()
    server.initialize(root)
    uri = server.open(root / "config" / "runtime.exs")
    assert server.request("shutdown", None)["result"] is None
    for method, params in _position_requests(uri):
        reply = server.request(method, params)
        FIGURES["hostile messages"] += 1
        assert reply["error"]["code"] == INVALID_REQUEST, (method, reply)
    assert server.request("shutdown", None)["error"]["code"] == INVALID_REQUEST
    server.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": ""}]},
    )
    server.notify("exit", None)
    assert server.proc.wait(timeout=10) == 0
    assert server.crashes() == []


@pytest.mark.parametrize(
    "capabilities, options",
    [
        (
            {
                "general": {"positionEncodings": ["utf-7", "utf-32"]},
                "workspace": {"configuration": True},
            },
            {"mpgLsp": {"poolMode": [1], "select": 5}},
        ),
        (
            {
                "general": {"positionEncodings": []},
                "textDocument": {"diagnostic": {}},
                "workspace": {
                    "diagnostics": {"refreshSupport": True},
                    "configuration": True,
                    "didChangeWatchedFiles": {"dynamicRegistration": True},
                },
            },
            [1, 2],
        ),
    ],
    ids=["odd-encodings-configuration", "pull-watch-configuration"],
)
def test_odd_clients_are_served(root: Path, capabilities: dict, options: object) -> None:
    """Odd capabilities and settings, and a client that answers the server's own requests
    (workspace/configuration, client/registerCapability) with a null that does not validate."""
    server = Server()
    reply = server.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": capabilities,
            "initializationOptions": options,
        },
    )
    assert "capabilities" in reply["result"]
    server.notify("initialized", {})
    uri = server.open(root / "config" / "runtime.exs")
    bogus = [
        {
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
            "message": "x",
            "code": "MPG101",
            "source": "mpg-lsp",
            "data": {"code": "MPG999", "start": -5, "end": "x"},
        }
    ]
    reply = server.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "context": {"diagnostics": bogus},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}},
        },
    )
    FIGURES["hostile messages"] += 3
    assert "result" in reply
    assert server.hover(uri, 0, 0)["result"] is None
    assert server.close() == 0
    assert server.crashes() == []
