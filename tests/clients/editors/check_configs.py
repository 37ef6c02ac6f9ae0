"""Shape checks for the editor configs no editor here can load.

    python check_configs.py CLIENTS_DIR

Helix and Zed are not installable from this machine's registries, so their
files are checked against what those editors document: Helix's
languages.toml keys, and a Zed extension's manifest, crate and settings.
Prints PASS/FAIL lines for run.sh to count.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

SERVER = "mpg-lsp"
# Helix's own defaults for these languages: a user's list replaces them, so
# ours must repeat them for ElixirLS/Expert and taplo/tombi to keep running.
HELIX_DEFAULTS = {"elixir": ["elixir-ls", "expert"], "toml": ["taplo", "tombi"]}


def check(name: str, test: Callable[[], Any]) -> None:
    try:
        result = test()
    except Exception as exc:  # a broken file is a failed check, not a crash
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        return
    if result is True or result is None:
        print(f"PASS {name}")
    else:
        print(f"FAIL {name}: {result}")


def expect(condition: bool, why: str) -> bool | str:
    return True if condition else why


def helix(clients: Path) -> None:
    path = clients / "helix" / "languages.toml"
    config: dict[str, Any] = {}

    def parses() -> None:
        config.update(tomllib.loads(path.read_text(encoding="utf-8")))

    check("helix: languages.toml parses as TOML", parses)

    def server_entry() -> bool | str:
        entry = config["language-server"][SERVER]
        return expect(
            entry == {"command": SERVER, "args": ["--stdio"]},
            f"[language-server.{SERVER}] is {entry}",
        )

    check(f"helix: [language-server.{SERVER}] runs `{SERVER} --stdio`", server_entry)

    for language, defaults in HELIX_DEFAULTS.items():

        def language_entry(language: str = language, defaults: list[str] = defaults) -> bool | str:
            entries = [e for e in config["language"] if e.get("name") == language]
            if len(entries) != 1:
                return f"{len(entries)} [[language]] entries named {language}"
            entry = entries[0]
            if set(entry) != {"name", "language-servers"}:
                return f"unexpected keys {sorted(set(entry) - {'name', 'language-servers'})}"
            servers = entry["language-servers"]
            return expect(
                servers == defaults + [SERVER],
                f"language-servers = {servers}, want {defaults + [SERVER]}",
            )

        check(f"helix: {language} keeps {', '.join(defaults)} and adds {SERVER}", language_entry)


def zed(clients: Path) -> None:
    root = clients / "zed"
    manifest: dict[str, Any] = {}
    cargo: dict[str, Any] = {}
    settings: dict[str, Any] = {}

    def manifest_parses() -> bool | str:
        manifest.update(tomllib.loads((root / "extension.toml").read_text(encoding="utf-8")))
        missing = {"id", "name", "version", "schema_version", "description"} - set(manifest)
        return expect(not missing and manifest["schema_version"] == 1, f"missing {missing}")

    check("zed: extension.toml has id, name, version, schema_version = 1", manifest_parses)

    def language_server() -> bool | str:
        entry = manifest["language_servers"][SERVER]
        if entry["languages"] != ["Elixir", "TOML"]:
            return f"languages = {entry['languages']}"
        return expect(
            entry["language_ids"] == {"Elixir": "elixir", "TOML": "toml"},
            f"language_ids = {entry.get('language_ids')}",
        )

    check(f"zed: [language_servers.{SERVER}] for Elixir and TOML", language_server)

    def crate() -> bool | str:
        cargo.update(tomllib.loads((root / "Cargo.toml").read_text(encoding="utf-8")))
        if cargo["lib"]["crate-type"] != ["cdylib"]:
            return f"crate-type = {cargo['lib']['crate-type']}"
        source = (root / cargo["lib"]["path"]).read_text(encoding="utf-8")
        return expect(
            "zed_extension_api" in cargo["dependencies"]
            and "register_extension!" in source
            and "fn language_server_command" in source,
            "zed_extension_api dependency or register_extension!/language_server_command missing",
        )

    check("zed: Cargo.toml builds a cdylib with zed_extension_api", crate)

    def settings_snippet() -> bool | str:
        settings.update(json.loads((root / "settings.json").read_text(encoding="utf-8")))
        languages = settings["languages"]
        for language in ("Elixir", "TOML"):
            servers = languages[language]["language_servers"]
            if SERVER not in servers or servers[-1] != "...":
                return f"{language}: language_servers = {servers}"
        binary = settings["lsp"][SERVER]["binary"]
        return expect(binary.get("arguments") == ["--stdio"], f"lsp.{SERVER}.binary = {binary}")

    check("zed: settings.json enables mpg-lsp and keeps the other servers", settings_snippet)


if __name__ == "__main__":
    clients_dir = Path(sys.argv[1])
    helix(clients_dir)
    zed(clients_dir)
