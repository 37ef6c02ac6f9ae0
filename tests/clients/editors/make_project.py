"""Lay out a throwaway copy of examples/storefront for one editor run.

    python make_project.py SOURCE DEST VARIANT

VARIANT is "ascii" (the sample as shipped) or "unicode" (emoji and CJK text
before the quick fix's edit point, to catch position-encoding mistakes).
Besides the project in DEST, writes DEST.expected: the text config/runtime.exs
must have once the "Add `prepare: :unnamed`" quick fix is applied and saved.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SOCKET_LINE = "    socket_options: maybe_ipv6\n"
SOCKET_FIXED = "    socket_options: maybe_ipv6,\n    prepare: :unnamed\n"

# Non-ASCII text before the edit point, and a trailing comment after it: the
# comma lands mid-line, between the value and the comment, so a server or
# client that counts columns in the wrong unit (bytes, UTF-16 units, code
# points) puts it in the wrong place instead of being saved by clamping at
# the end of the line. The comment lines must not upset line counting.
UNICODE_SOCKET_LINE = (
    '    socket_options: if("🚀 café 日本" != "", do: maybe_ipv6, else: []) # 𝄞 ipv6\n'
)
UNICODE_SOCKET_FIXED = (
    '    socket_options: if("🚀 café 日本" != "", do: maybe_ipv6, else: []), # 𝄞 ipv6\n'
    "    prepare: :unnamed\n"
)
DOCKERFILE = """FROM hexpm/elixir:1.17.3-erlang-27.1-debian-bookworm-20240926-slim AS builder
RUN mix release

FROM debian:bookworm-20240926-slim
COPY --from=builder /app/_build/prod/rel/storefront ./
ENTRYPOINT /app/bin/server
"""
UNICODE_HEADER = "# 🚀 café 日本: runtime settings for the storefront 𝄞\n"
UNICODE_SSL_COMMENT = "    # ssl: true, (🚀 日本語のコメント)\n"


def unicode_variant(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        if line == SOCKET_LINE:
            line = UNICODE_SOCKET_LINE
        elif line.strip() == "# ssl: true,":
            line = UNICODE_SSL_COMMENT
        out.append(line)
        if line.startswith("import Config"):
            out.append(UNICODE_HEADER)
    return "".join(out)


def main(source: Path, dest: Path, variant: str) -> None:
    shutil.copytree(source, dest)
    # Files for the attachment checks: a second Fly config, and a TOML file
    # mpg-lsp must leave alone.
    shutil.copy(dest / "fly.toml", dest / "fly.staging.toml")
    (dest / "other.toml").write_text('[tool]\nname = "not a fly config"\n', encoding="utf-8")
    # A deploy file with a problem the server reports there (MPG308 with the
    # sample's release_command), and a fetched dependency with its own mix.exs
    # and files of the same kinds, which the clients must leave alone.
    (dest / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    ecto = dest / "deps" / "ecto"
    (ecto / "lib").mkdir(parents=True)
    (ecto / "mix.exs").write_text("defmodule Ecto.MixProject do\nend\n", encoding="utf-8")
    (ecto / "lib" / "ecto.ex").write_text("defmodule Ecto do\nend\n", encoding="utf-8")
    (ecto / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")

    runtime = dest / "config" / "runtime.exs"
    text = runtime.read_text(encoding="utf-8")
    if SOCKET_LINE not in text:
        raise SystemExit(
            f"{runtime}: no line {SOCKET_LINE!r}; the sample changed, update this script"
        )
    if variant == "unicode":
        text = unicode_variant(text)
        runtime.write_text(text, encoding="utf-8")
        expected = text.replace(UNICODE_SOCKET_LINE, UNICODE_SOCKET_FIXED, 1)
    elif variant == "ascii":
        expected = text.replace(SOCKET_LINE, SOCKET_FIXED, 1)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    Path(str(dest) + ".expected").write_text(expected, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
