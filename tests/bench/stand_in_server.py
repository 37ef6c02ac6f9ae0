"""A throw-away pygls server that speaks like mpg-lsp, to check the harness itself.

It takes incremental changes, finds a one-line `config :app, X.Repo, ...` without
`prepare:` by regex, and publishes MPG101 with the document version. It is not a
peer and its figures mean nothing; use it as

    python tests/bench/run.py --mpg-lsp "python tests/bench/stand_in_server.py" --only edit,cold,mem
"""

from __future__ import annotations

import re
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer

REPO_RE = re.compile(r"^[ \t]*config :\w+, [\w.]*Repo\b(?!.*\bprepare:).*$", re.M)

server = LanguageServer(
    "bench-stand-in", "0", text_document_sync_kind=types.TextDocumentSyncKind.Incremental
)


def publish(ls: LanguageServer, uri: str, version: int) -> None:
    doc = ls.workspace.get_text_document(uri)
    src = doc.source
    diags = []
    for m in REPO_RE.finditer(src):
        line = src.count("\n", 0, m.start())
        diags.append(
            types.Diagnostic(
                range=types.Range(types.Position(line, 0), types.Position(line, len(m.group(0)))),
                message="stand-in: Repo without prepare",
                code="MPG101",
                source="bench-stand-in",
            )
        )
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diags)
    )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls, params.text_document.uri, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    publish(ls, params.text_document.uri, params.text_document.version)


if __name__ == "__main__":
    if "--version" in sys.argv:
        print("bench-stand-in 0")
    else:
        server.start_io()
