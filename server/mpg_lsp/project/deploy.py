"""The deploy as files describe it: the Dockerfile's final stage, the commands machines boot
with, and the scripts people deploy from.

- ``Dockerfile``: the instructions after the last ``FROM`` (``ENV``, ``CMD``, ``ENTRYPOINT``),
  exec form (a JSON array) or shell form, continuation lines joined.
- Boot commands that may migrate: the final stage's ``CMD``/``ENTRYPOINT``,
  ``rel/overlays/bin/server``, and fly config ``[processes]`` (read with the Fly config).
- Manual migrations: ``fly ssh console -C/--command ...`` in a ``Makefile``, ``justfile``,
  ``bin/*``, ``scripts/*`` or ``.github/workflows/*.y*ml``.

Only text is read; nothing is run. A file is read at all only when its bytes hold a trigger.
"""

from __future__ import annotations

import os
import re

from mpg_lsp.records import record
from mpg_lsp.syntax.document import Document

MIGRATE_TRIGGER = re.compile(rb"migrate")
_SSH = re.compile(r"\bfly(?:ctl)?\s+ssh\s+console\b")
_COMMAND_FLAG = re.compile(r"\s(?:-C|--command)(?:=|\s+)")


@record(frozen=True)
class Instruction:
    keyword: str  # upper case: ENV, CMD, ENTRYPOINT...
    args: str  # as written, continuation lines joined by the file's own text
    start: int  # the arguments' byte range in the file
    end: int
    exec_form: tuple[str, ...] | None  # a JSON array's strings; None in shell form


@record(frozen=True)
class Dockerfile:
    path: str
    final: tuple[Instruction, ...]  # the instructions of the last stage

    def last(self, keyword: str) -> Instruction | None:
        return next((i for i in reversed(self.final) if i.keyword == keyword), None)

    def env(self) -> dict[str, tuple[str, Instruction]]:
        """``ENV`` values the final stage sets (``ENV K=V ...`` and ``ENV K V``)."""
        out: dict[str, tuple[str, Instruction]] = {}
        for ins in self.final:
            if ins.keyword != "ENV":
                continue
            pairs = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", ins.args)
            if not pairs:
                m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+(.*?)\s*$", ins.args, re.DOTALL)
                pairs = [(m.group(1), m.group(2))] if m else []
            for key, value in pairs:
                out[key] = (value.strip("\"'"), ins)
        return out


@record(frozen=True)
class BootCommand:
    """A command a machine runs every time it starts."""

    path: str
    where: str  # "CMD", "ENTRYPOINT", "rel/overlays/bin/server", "[processes] app"
    text: str  # the command as a shell would read it
    start: int  # its byte range in the file (for exec form: the JSON array)
    end: int
    exec_form: tuple[str, ...] | None = None


@record(frozen=True)
class ManualMigration:
    """``fly ssh console -C '<command>'`` in a script or workflow."""

    path: str
    start: int  # the command argument as written (quotes included)
    end: int
    command: str  # the argument as the local shell passes it on
    makefile: bool  # `$` must be written `$$`


def read_dockerfile(doc: Document) -> Dockerfile:
    text = doc.text.decode("utf-8", errors="replace")
    instructions: list[Instruction] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    i = 0
    while i < len(lines):
        first = i
        line = lines[i]
        i += 1
        stripped = line.strip()
        m = re.match(r"\s*([A-Za-z]+)(?:\s+|$)", line)
        if not stripped or stripped.startswith("#") or m is None:
            continue
        body = line[m.end() :]
        while body.rstrip("\r\n").endswith("\\") and i < len(lines):
            nxt = lines[i]
            i += 1
            if nxt.strip().startswith("#"):
                continue  # comment lines inside a continuation are dropped by Docker
            body = body.rstrip("\r\n")[:-1] + " " + nxt
        args = body.strip()
        keyword = m.group(1).upper()
        if keyword == "FROM":
            instructions = []
            continue
        exec_form = None
        if args.startswith("["):
            import json  # only for exec-form instructions: json is kept off `check`'s start-up

            try:
                parsed = json.loads(args)
            except ValueError:
                parsed = None
            if isinstance(parsed, list) and all(isinstance(a, str) for a in parsed):
                exec_form = tuple(parsed)
        begin = starts[first] + m.end()
        last = lines[i - 1]
        end = starts[i - 1] + len(last.rstrip("\r\n"))
        instructions.append(
            Instruction(
                keyword,
                args,
                _byte_offset(text, begin),
                _byte_offset(text, max(begin, end)),
                exec_form,
            )
        )
    return Dockerfile(doc.path, tuple(instructions))


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def boot_commands(dockerfile: Dockerfile | None, server: Document | None) -> list[BootCommand]:
    """The Dockerfile's CMD/ENTRYPOINT and ``rel/overlays/bin/server``: what a machine runs."""
    out: list[BootCommand] = []
    if dockerfile is not None:
        for keyword in ("ENTRYPOINT", "CMD"):
            ins = dockerfile.last(keyword)
            if ins is None:
                continue
            text = " ".join(ins.exec_form) if ins.exec_form is not None else ins.args
            out.append(
                BootCommand(dockerfile.path, keyword, text, ins.start, ins.end, ins.exec_form)
            )
    if server is not None:
        text = server.text.decode("utf-8", errors="replace")
        out.append(BootCommand(server.path, "rel/overlays/bin/server", text, 0, len(server.text)))
    return out


def entrypoint_shell(dockerfile: Dockerfile) -> tuple[Instruction, bool] | None:
    """The final stage's ENTRYPOINT when it is a shell that runs its first argument as a
    script: exec form ``["/bin/sh", "-c"]`` (bool False), or shell form, where Docker itself
    wraps it in ``/bin/sh -c`` and drops every argument (bool True)."""
    ins = dockerfile.last("ENTRYPOINT")
    if ins is None or not ins.args:
        return None
    if ins.exec_form is None:
        return ins, True
    argv = list(ins.exec_form)
    if not argv or os.path.basename(argv[0]) not in {"sh", "bash", "dash", "ash", "zsh"}:
        return None
    flags = [a for a in argv[1:] if a.startswith("-")]
    if any("c" in f[1:] for f in flags if not f.startswith("--")) and argv[-1].startswith("-"):
        return ins, False  # `["/bin/sh", "-c"]`: the release command's first word is the script
    return None


def _shell_word(text: str, at: int) -> tuple[int, int, str] | None:
    """The shell word starting at ``at``: (start, end, value as the shell passes it on)."""
    i, n = at, len(text)
    value: list[str] = []
    while i < n and text[i] not in " \t\r\n;&|)":
        c = text[i]
        if c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None
            value.append(text[i + 1 : end])
            i = end + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    value.append(text[j + 1])
                    j += 2
                    continue
                value.append(text[j])
                j += 1
            if j >= n:
                return None
            i = j + 1
        elif c == "\\" and i + 1 < n:
            value.append(text[i + 1])
            i += 2
        else:
            value.append(c)
            i += 1
    return (at, i, "".join(value)) if i > at else None


def manual_migrations(doc: Document) -> list[ManualMigration]:
    if MIGRATE_TRIGGER.search(doc.text) is None:
        return []
    text = doc.text.decode("utf-8", errors="replace")
    name = os.path.basename(doc.path).lower()
    makefile = name in ("makefile", "gnumakefile") or name.endswith(".mk")
    out = []
    for ssh in _SSH.finditer(text):
        line_end = text.find("\n", ssh.end())
        # the command may continue over `\` lines
        while line_end > 0 and text[line_end - 1 : line_end] == "\\":
            line_end = text.find("\n", line_end + 1)
        segment_end = len(text) if line_end < 0 else line_end
        flag = _COMMAND_FLAG.search(text, ssh.end(), segment_end)
        if flag is None:
            continue
        word = _shell_word(text, flag.end())
        if word is None:
            continue
        start, end, value = word
        if makefile:
            value = value.replace("$$", "$")
        if "migrate" not in value:
            continue
        out.append(
            ManualMigration(
                doc.path, _byte_offset(text, start), _byte_offset(text, end), value, makefile
            )
        )
    return out
