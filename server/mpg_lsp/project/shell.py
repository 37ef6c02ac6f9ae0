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


def with_env(command: str, var: str, source: str) -> str | None:
    """The release command with ``VAR=$SOURCE`` for everything it runs, inside a shell.

    A command without shell syntax keeps exactly the argv flyctl gave it (each word quoted
    for the shell); one with shell syntax is taken as the script its author meant."""
    argv = split_command(command)
    if argv is None:
        return None
    wrapped = shell_script(argv)
    if wrapped is not None:
        prefix, script, rest = wrapped
        words = [
            *map(shlex.quote, prefix),
            shell_quote(_with_assignment(script, var, source)),
            *map(shlex.quote, rest),
        ]
        return " ".join(words)
    if not needs_shell(command, argv):
        return with_shell(f"{var}=${source} {' '.join(map(_sh_word, argv))}")
    return with_shell(_with_assignment(command, var, source))
