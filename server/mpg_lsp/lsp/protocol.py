"""The JSON-RPC edge: how messages from the client are read, checked and dispatched.

pygls keeps its own copy of every document and applies each change to it before our handler
runs, counting code points. mpg-lsp keeps UTF-8 bytes and a tree per document instead, so the
protocol below skips pygls' copy (unless MPG_LSP_CHECK_SYNC=1 asks to keep it and compare).
It also answers every request pygls would leave unanswered.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger("mpg_lsp")

CHECK_SYNC = os.environ.get("MPG_LSP_CHECK_SYNC") == "1"


class _Answered:
    """A request that was already answered with an error while it was being read."""

    jsonrpc = None


class _Misdirected:
    """A request (it has an id) for a method LSP defines as a notification."""

    jsonrpc = None

    def __init__(self, msg_id: Any, method: str) -> None:
        self.id = msg_id
        self.method = method


class MpgProtocol(LanguageServerProtocol):
    """Hands text changes straight to our handlers without pygls' document copy, and answers
    every request pygls 2.1 would leave unanswered (the client would wait forever): params
    that do not validate, requests before `initialize` (-32002, as LSP asks) or after
    `shutdown` (InvalidRequest), and messages with an id that are not requests."""

    _initialize_seen = False

    def structure_message(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        try:
            message = super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError) as err:
            if isinstance(data, dict) and "id" in data and "method" in data:
                log.warning(
                    "invalid params for %s (id %r): answered with an error",
                    data["method"],
                    data["id"],
                )
                self._send_response(data["id"], error=err.to_response_error())
                return _Answered()
            if isinstance(data, dict) and "id" in data and "jsonrpc" in data:
                # the client's answer to our request does not validate (a null where a list
                # belongs): the request fails, instead of waiting forever for a valid answer
                log.warning("the client's answer to request %r does not validate", data["id"])
                return t.ResponseErrorMessage(id=data["id"], error=err.to_response_error())
            raise
        if (
            "jsonrpc" in data
            and "id" in data
            and isinstance(data.get("method"), str)
            and not hasattr(message, "id")
        ):
            return _Misdirected(data["id"], data["method"])
        return message

    def _refuse(self, msg_id: Any, error: Any, why: str) -> None:
        log.warning("request %r refused: %s", msg_id, why)
        self._send_response(msg_id, error=error.of(why).to_response_error())

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Answered):
            return
        if isinstance(message, _Misdirected):
            self._refuse(
                message.id,
                JsonRpcInvalidRequest,
                f"{message.method} is a notification, not a request",
            )
            return
        if isinstance(message, dict):  # no "jsonrpc" member: not JSON-RPC 2.0
            if "id" in message and "method" in message:
                self._refuse(message["id"], JsonRpcInvalidRequest, "not a JSON-RPC 2.0 message")
            else:
                log.warning("ignored a message that is not JSON-RPC 2.0")
            return
        if not hasattr(message, "jsonrpc"):  # `42`, `null`, a batch `[...]`: LSP has no batches
            log.warning("ignored a message that is not a JSON object")
            return
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if message.jsonrpc != "2.0":  # pygls would log the whole message, a buffer's secrets too
            if is_request:
                self._refuse(message.id, JsonRpcInvalidRequest, "not a JSON-RPC 2.0 message")
            else:
                log.warning("ignored a message that is not JSON-RPC 2.0 (%s)", method)
            return
        if method == t.INITIALIZE:
            self._initialize_seen = True
        elif method is not None and method != t.EXIT:
            if self._shutdown:
                if is_request:
                    self._refuse(message.id, JsonRpcInvalidRequest, "the server is shutting down")
                return
            if not self._initialize_seen:
                if is_request:
                    self._refuse(
                        message.id, JsonRpcServerNotInitialized, "the server is not initialized"
                    )
                return  # notifications before initialize are dropped, as LSP asks
        super().handle_message(message)

    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: t.DidOpenTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC:
            self.workspace.put_text_document(params.text_document)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC and params.text_document.uri in self.workspace.text_documents:
            try:  # pygls' copy is only a witness: its failure must not stop our handler
                for change in params.content_changes:
                    # a copy: pygls rewrites the change's range in place into its own units
                    self.workspace.update_text_document(params.text_document, copy.deepcopy(change))
            except Exception as err:  # noqa: BLE001
                log.error("pygls' own copy could not apply a change: %r", err)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: t.DidCloseTextDocumentParams) -> Iterator[Any]:
        if CHECK_SYNC:
            self.workspace.remove_text_document(params.text_document.uri)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None
