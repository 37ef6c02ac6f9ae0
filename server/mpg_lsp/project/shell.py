"""Shell text as flyctl and ``/bin/sh`` see it: how flyctl splits a release command into an
argv (it runs no shell), what a script rebinds (``VAR=$OTHER``), and how to write a command
back as shell text, quoted so that a shell reads exactly the words meant.

flyctl splits with ``github.com/google/shlex`` (``split_command`` follows that library:
``"..."`` escapes with ``\\``, ``'...'`` does not, ``#`` at a word's start begins a comment).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable

from mpg_lsp.records import record

SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}
_SHELL_SYNTAX = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*=|\$|&&|\|\||;|\||`|>|<")
_COMPOUND = re.compile(r"[;&|\n(){}`<>]")
_RESERVED = {"if", "for", "while", "until", "case", "!", "{", "(", "[[", "function", "select"}
# `VAR=$OTHER`, `VAR="${OTHER}"`, `export VAR=${OTHER:?unset}`: VAR takes OTHER's value.
_REBIND = re.compile(
    r"(?:^|(?<=[\s;&|('\"]))([A-Za-z_][A-Za-z0-9_]*)=\"?\$\{?([A-Za-z_][A-Za-z0-9_]*)"
)
_COMMENT = re.compile(r"(?:^|(?<=\s))#.*$", re.MULTILINE)


# -- reading shell text -----------------------------------------------------------------------


@record(frozen=True)
class Rebind:
    var: str
    source: str
    start: int  # offset of ``var`` in the text it was found in


def rebinds(shell_text: str) -> list[Rebind]:
    return [Rebind(m.group(1), m.group(2), m.start(1)) for m in _REBIND.finditer(shell_text)]


def strip_comments(shell_text: str) -> str:
    """A shell script without its ``#`` comments (approximately: quotes are not tracked)."""
    return _COMMENT.sub("", shell_text)


def split_command(command: str) -> list[str] | None:
    """The argv flyctl makes of a release command (google/shlex), or None when it would fail."""
    words: list[str] = []
    i, n = 0, len(command)
    space = " \t\r\n"
    while i < n:
        c = command[i]
        if c in space:
            i += 1
            continue
        if c == "#":  # a comment runs to the end of the line
            while i < n and command[i] != "\n":
                i += 1
            continue
        word: list[str] = []
        while i < n and command[i] not in space:
            c = command[i]
            if c == "\\":
                if i + 1 >= n:
                    return None
                word.append(command[i + 1])
                i += 2
            elif c == "'":
                end = command.find("'", i + 1)
                if end < 0:
                    return None
                word.append(command[i + 1 : end])
                i = end + 1
            elif c == '"':
                i += 1
                while True:
                    if i >= n:
                        return None
                    c = command[i]
                    if c == '"':
                        i += 1
                        break
                    if c == "\\":
                        if i + 1 >= n:
                            return None
                        word.append(command[i + 1])
                        i += 2
                    else:
                        word.append(c)
                        i += 1
            else:
                word.append(c)
                i += 1
        words.append("".join(word))
    return words


# -- a command run through a shell ---------------------------------------------------------


def shell_quote(text: str) -> str:
    """Single-quote for a POSIX shell (`'` becomes `'\\''`)."""
    return "'" + text.replace("'", "'\\''") + "'"


def shell_script(argv: list[str]) -> tuple[list[str], str, list[str]] | None:
    """``(shell and options up to -c, script, arguments after it)`` when ``argv`` runs a shell
    with ``-c``, else None."""
    if not argv or os.path.basename(argv[0]) not in SHELLS:
        return None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-o", "+o", "-O", "+O"):
            i += 2
        elif arg.startswith("--"):
            i += 1
        elif arg[:1] in ("-", "+") and len(arg) > 1:
            if arg[0] == "-" and "c" in arg[1:]:
                return (argv[: i + 1], argv[i + 1], argv[i + 2 :]) if i + 1 < len(argv) else None
            i += 1
        else:
            return None
    return None


def needs_shell(command: str, argv: list[str]) -> bool:
    """Shell syntax that flyctl, running no shell, would pass along unexpanded."""
    if not _SHELL_SYNTAX.search(command):
        return False
    return not argv or os.path.basename(argv[0]) not in SHELLS


def _sh_word(word: str) -> str:
    """One argv word as shell text: bare when safe, else in double quotes when nothing in it
    is special there, else in single quotes."""
    quoted = shlex.quote(word)
    if quoted == word or re.search(r'[\x00-\x1f"$`\\!]', word):
        return quoted
    return f'"{word}"'


def with_shell(script: str) -> str:
    return f"/bin/sh -lc {shell_quote(script)}"


def _with_assignment(script: str, var: str, source: str) -> str:
    """``VAR=$SOURCE script`` for one simple command; ``export`` first for anything more."""
    script = script.strip()
    first = script.split(maxsplit=1)[0] if script else ""
    # a prefix assignment reaches one command's environment, not that command's own `$VAR`
    reads_var = re.search(rf"\$\{{?{re.escape(var)}(?![A-Za-z0-9_])", script)
    if not _COMPOUND.search(script) and first not in _RESERVED and not reads_var:
        return f"{var}=${source} {script}"
    return f'export {var}="${source}"; {script}'


def with_env(
    command: str, var: str, source: str, only: Callable[[str], bool] | None = None
) -> str | None:
    """The command (split as flyctl splits it) with ``VAR=$SOURCE`` for everything it runs,
    inside a shell; with ``only``, for the simple commands ``only`` accepts and no other
    (a boot command that migrates, then starts the server on the pooled URL).

    A command without shell syntax keeps exactly the argv flyctl gave it (each word quoted
    for the shell); one with shell syntax is taken as the script its author meant."""
    argv = split_command(command)
    if argv is None:
        return None

    def assign(script: str) -> str | None:
        if only is None:
            return _with_assignment(script, var, source)
        return with_prefixes(script, var, source, only)

    wrapped = shell_script(argv)
    if wrapped is not None:
        prefix, script, rest = wrapped
        new = assign(script)
        if new is None:
            return None
        return " ".join([*map(shlex.quote, prefix), shell_quote(new), *map(shlex.quote, rest)])
    if not needs_shell(command, argv):
        if only is None:
            return with_shell(f"{var}=${source} {' '.join(map(_sh_word, argv))}")
        command = " ".join(map(_sh_word, argv))
    new = assign(command)
    return with_shell(new) if new is not None else None


_SEPARATORS = ("&&", "||", ";", "|", "\n", "(", ")", "`")


def simple_commands(script: str) -> list[tuple[int, int]]:
    """(start, end) of each simple command of a shell script: the text between ``&&``,
    ``||``, ``;``, ``|``, newlines and parentheses, outside quotes and comments."""
    out: list[tuple[int, int]] = []
    i, n, start = 0, len(script), 0
    quote = ""
    while i < n:
        c = script[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
            i += 1
            continue
        if c in "'\"":
            quote = c
        elif c == "\\":
            i += 2
            continue
        elif c == "#" and (i == start or script[i - 1] in " \t"):
            end = script.find("\n", i)
            out.append((start, i))
            i = n if end < 0 else end
            start = i
            continue
        else:
            sep = next((s for s in _SEPARATORS if script.startswith(s, i)), None)
            if sep is not None:
                out.append((start, i))
                i += len(sep)
                start = i
                continue
        i += 1
    out.append((start, n))
    return [
        (a + len(script[a:b]) - len(script[a:b].lstrip()), b) for a, b in out if script[a:b].strip()
    ]


def prefix_points(script: str, var: str, only: Callable[[str], bool]) -> list[tuple[int, str]]:
    """Where ``VAR=...`` goes before each simple command ``only`` accepts, and what goes there
    (``env VAR=...`` after an ``exec``); none for a command that already assigns VAR."""
    out = []
    for start, end in simple_commands(script):
        text = script[start:end]
        if not only(text) or re.match(rf"(?:export\s+)?{re.escape(var)}=", text):
            continue
        words = text.split(maxsplit=1)
        if words and words[0] == "exec":
            at = start + len(text) - len(words[1]) if len(words) > 1 else end
            out.append((at, "env "))
        else:
            out.append((start, ""))
    return out


def with_prefixes(script: str, var: str, source: str, only: Callable[[str], bool]) -> str | None:
    """``script`` with ``VAR="$SOURCE"`` before each simple command ``only`` accepts."""
    points = prefix_points(script, var, only)
    if not points:
        return None
    for at, lead in reversed(points):
        script = f'{script[:at]}{lead}{var}="${source}" {script[at:]}'
    return script
