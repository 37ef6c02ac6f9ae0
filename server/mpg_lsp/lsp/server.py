"""Server wiring: the pygls server, its session, and the feature modules it registers.

Where to read next: ``protocol`` (how a message is read and dispatched), ``session`` (all the
state), then one module per feature: ``configuration`` (initialize, settings), ``documents``
(didOpen/didChange/didClose, watched files), ``diagnostics`` (publish and pull),
``code_actions``, ``hover``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.lsp.server import LanguageServer

from mpg_lsp import __version__
from mpg_lsp.lsp.protocol import CHECK_SYNC, MpgProtocol, serve_stdio
from mpg_lsp.lsp.session import Session

log = logging.getLogger("mpg_lsp")


class MpgServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "mpg-lsp",
            __version__,
            text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
            protocol_cls=MpgProtocol,
        )
        self.session = Session()
        self.sync_mismatches = 0  # test-only (MPG_LSP_CHECK_SYNC=1)

    def change_queued(self, uri: str) -> bool:
        """Whether a newer didChange for ``uri`` is already read and waiting its turn."""
        protocol = self.protocol
        queued = protocol.queued_change if isinstance(protocol, MpgProtocol) else None
        return queued is not None and queued(uri)

    def check_sync(self, uri: str) -> None:
        """In sync-checking mode, compare our text with pygls' copy after every change."""
        if not CHECK_SYNC:
            return
        ours = self.session.document(uri)
        theirs = self.workspace.text_documents.get(uri)
        if ours is None or theirs is None:
            return
        if ours.text != theirs.source.encode("utf-8", "surrogatepass"):
            self.sync_mismatches += 1
            log.error("document store out of sync with the client for %s", uri)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls would pop a message box for every handler error; a log line is enough.
        if isinstance(error, JsonRpcMethodNotFound):
            return  # a client asking for a feature we do not offer: answered, and pygls notes it
        log.error("internal error (%s): %r", getattr(source, "__name__", source), error)


def _setup_logging() -> None:
    level = os.environ.get("MPG_LSP_LOG", "INFO").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)


def build() -> MpgServer:
    from mpg_lsp.lsp import code_actions, configuration, documents, hover

    server = MpgServer()
    # diagnostics registers its pull handler during initialize, for clients that pull
    for feature in (configuration, documents, code_actions, hover):
        feature.register(server)
    if CHECK_SYNC:

        @server.feature("mpgLsp/syncState")
        def sync_state(ls: MpgServer, params: Any) -> dict[str, Any]:
            """Test-only: how often our text and pygls' copy disagreed, and our text."""
            uri = str(params.uri if hasattr(params, "uri") else (params or {}).get("uri"))
            doc = ls.session.document(uri)
            if doc is None:
                return {
                    "mismatches": ls.sync_mismatches,
                    "text": None,
                    "treeMatchesFreshParse": False,
                    "freshHasErrors": False,
                }
            fresh = doc._parser.parse(doc.text)
            return {
                "mismatches": ls.sync_mismatches,
                "text": doc.text.decode("utf-8", "surrogatepass"),
                "version": doc.version,
                "treeMatchesFreshParse": str(doc.tree.root_node) == str(fresh.root_node),
                "freshHasErrors": fresh.root_node.has_error,
            }

    return server


def serve() -> None:
    _setup_logging()
    log.info("mpg-lsp %s starting on stdio", __version__)
    code = serve_stdio(build())
    if code:
        sys.exit(code)
