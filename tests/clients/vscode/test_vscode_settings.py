"""The VS Code extension contributes exactly the settings the server understands.

`mpg-lsp settings-schema` prints the server's settings model as JSON Schema; every key in it
must appear in clients/vscode/package.json as `mpgLsp.<key>` with the same type, allowed values
and default, and package.json must not offer server settings the server does not know.

Runs under pytest, or on its own: `python tests/clients/vscode/test_vscode_settings.py`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGE_JSON = Path(__file__).resolve().parents[3] / "clients" / "vscode" / "package.json"
SECTION = "mpgLsp."
# Settings that only steer the extension (how to start the server); the server never sees them.
CLIENT_ONLY = {"path", "python", "trace.server"}


def server_schema() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", "settings-schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"`mpg-lsp settings-schema` failed: {done.stderr.strip()}"
    schema: dict[str, Any] = json.loads(done.stdout)
    return dict(schema["properties"])


def contributed_settings() -> dict[str, Any]:
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    return {
        name[len(SECTION) :]: spec for name, spec in properties.items() if name.startswith(SECTION)
    }


def value_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits, whether written as `type`, `enum`/`const` or `anyOf`."""
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    for value in allowed_values(schema, own_only=True) or []:
        found.add(json_type(value))
    for member in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= value_types(member)
    return found


def allowed_values(schema: dict[str, Any], own_only: bool = False) -> list[Any] | None:
    """The closed set of values a schema allows, or None when it is open."""
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    members = schema.get("anyOf", []) + schema.get("oneOf", [])
    if own_only or not members:
        return None
    values: list[Any] = []
    for member in members:
        member_values = allowed_values(member)
        if member_values is None:
            # A member like {"type": "boolean"} is as closed as an enum of true and false.
            if member.get("type") == "boolean":
                member_values = [True, False]
            else:
                return None
        values.extend(member_values)
    return values


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def canonical(values: list[Any] | None) -> list[str] | None:
    return None if values is None else sorted(json.dumps(value) for value in values)


def differences(key: str, server: dict[str, Any], client: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if value_types(server) != value_types(client):
        problems.append(
            f"{key}: type {sorted(value_types(client))} != server {sorted(value_types(server))}"
        )
    if canonical(allowed_values(server)) != canonical(allowed_values(client)):
        problems.append(
            f"{key}: allowed values {allowed_values(client)} != server {allowed_values(server)}"
        )
    if "default" in server and server["default"] != client.get("default"):
        problems.append(f"{key}: default {client.get('default')!r} != server {server['default']!r}")
    for bound in ("minimum", "maximum"):
        if bound in server and server[bound] != client.get(bound):
            problems.append(f"{key}: {bound} {client.get(bound)!r} != server {server[bound]!r}")
    for nested in ("items", "additionalProperties"):
        inner = server.get(nested)
        if isinstance(inner, dict):
            client_inner = client.get(nested)
            if not isinstance(client_inner, dict):
                problems.append(f"{key}: has no {nested} schema; the server has {inner}")
            else:
                problems.extend(differences(f"{key}.{nested}", inner, client_inner))
    return problems


def test_contributed_settings_match_the_server_schema() -> None:
    server = server_schema()
    client = contributed_settings()
    client_server_keys = set(client) - CLIENT_ONLY
    problems = [
        f"missing from package.json: mpgLsp.{key}"
        for key in sorted(set(server) - client_server_keys)
    ]
    problems += [
        f"not a server setting: mpgLsp.{key}" for key in sorted(client_server_keys - set(server))
    ]
    for key in sorted(set(server) & client_server_keys):
        problems += differences(key, server[key], client[key])
    assert not problems, "\n".join(problems)


def test_contributed_settings_are_generated_from_the_settings_table() -> None:
    """package.json's server settings are, word for word, what settings.SPECS makes of them
    (descriptions and scope too); MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites them there, after the
    extension's own settings."""
    import os

    from mpg_lsp.settings import vscode_settings

    generated = vscode_settings(SECTION.rstrip("."))
    manifest = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    own = {k: v for k, v in properties.items() if k[len(SECTION) :] in CLIENT_ONLY}
    if os.environ.get("MPG_LSP_UPDATE_SNAPSHOTS") == "1":
        manifest["contributes"]["configuration"]["properties"] = own | generated
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        PACKAGE_JSON.write_text(text, encoding="utf-8")
        return
    server_entries = {k: v for k, v in properties.items() if k not in own}
    assert server_entries == generated, (
        "package.json drifted from settings.SPECS: MPG_LSP_UPDATE_SNAPSHOTS=1 regenerates it"
    )


def test_client_only_settings_are_contributed() -> None:
    client = contributed_settings()
    assert CLIENT_ONLY <= set(client), f"missing: {sorted(CLIENT_ONLY - set(client))}"


if __name__ == "__main__":
    failures = 0
    for test in (
        test_contributed_settings_match_the_server_schema,
        test_contributed_settings_are_generated_from_the_settings_table,
        test_client_only_settings_are_contributed,
    ):
        try:
            test()
            print(f"ok   {test.__name__}")
        except AssertionError as error:
            failures += 1
            print(f"FAIL {test.__name__}\n{error}")
    sys.exit(1 if failures else 0)


def test_the_extension_sends_every_server_setting() -> None:
    """settings.ts's SERVER_KEYS is what the extension reads and sends at start-up: a server
    setting missing there reaches the server only if it asks again (the editor's settings
    would be ignored until then)."""
    source = (PACKAGE_JSON.parent / "src" / "settings.ts").read_text(encoding="utf-8")
    block = re.search(r"SERVER_KEYS = \[(.*?)\] as const", source, re.S)
    assert block is not None, "SERVER_KEYS not found in clients/vscode/src/settings.ts"
    sent = set(re.findall(r'"([A-Za-z]+)"', block.group(1)))
    server = set(server_schema())
    assert sent == server, (
        f"missing from SERVER_KEYS: {sorted(server - sent)}; not the server's: "
        f"{sorted(sent - server)}"
    )
