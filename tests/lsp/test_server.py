"""End to end: the real `mpg-lsp --stdio` process, driven as VS Code, Neovim and Emacs drive it."""

from __future__ import annotations

from pathlib import Path

import pytest
from editor import Editor
from lsprotocol import types as t
from projects import FIXTURES, SAMPLE, copy_project

# the tests share their profile's server (a module-scoped fixture), so they share its loop too
pytestmark = pytest.mark.asyncio(loop_scope="module")


def _get(obj, key):  # custom request results arrive as objects or dicts
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


async def _open_sample(editor: Editor, tmp_path: Path, crlf: bool = False) -> Path:
    return copy_project(SAMPLE, tmp_path / "storefront", crlf=crlf)


async def test_each_rule_on_the_right_line(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    config = editor.open(root / "config" / "config.exs")
    fly = editor.open(root / "fly.toml", "toml")

    (d101,) = await editor.diagnostics(runtime)
    assert d101.code == "MPG101" and d101.source == "mpg-lsp"
    assert d101.range.start == editor.find(runtime, "Storefront.Repo,")
    assert d101.code_description is not None and d101.code_description.href.endswith("MPG101.md")
    assert "prepare: :unnamed" in d101.message

    (d201,) = await editor.diagnostics(config)
    assert d201.code == "MPG201"
    assert d201.range.start == editor.find(config, "Oban,\n")

    (d301,) = await editor.diagnostics(fly)
    assert d301.code == "MPG301"
    assert d301.range.start == editor.find(fly, "'/app/bin/migrate'")


async def test_quick_fix_applies_and_the_diagnostic_goes(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    before = editor.text[runtime]
    (diag,) = await editor.diagnostics(runtime)
    actions = await editor.actions(runtime, diag.range)
    assert actions[0].is_preferred and actions[0].title.startswith("Add `prepare: :unnamed`")
    assert [a.is_preferred for a in actions[1:]] == [None] * (len(actions) - 1)
    editor.apply(actions[0].edit)
    assert editor.text[runtime] == before.replace(
        "    socket_options: maybe_ipv6\n",
        "    socket_options: maybe_ipv6,\n    prepare: :unnamed\n",
    )
    assert await editor.diagnostics(runtime) == []
    state = await editor.sync_state(runtime)
    assert _get(state, "mismatches") == 0 and _get(state, "text") == editor.text[runtime]


async def test_fly_fix_keeps_valid_toml_and_clears_mpg301(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    fly = editor.open(root / "fly.toml", "toml")
    (diag,) = await editor.diagnostics(fly)
    action, ignore = await editor.actions(fly, diag.range)
    assert ignore.title == "Ignore MPG301 on this line" and not ignore.is_preferred
    editor.apply(action.edit)
    assert (
        "release_command = \"/bin/sh -lc 'DATABASE_URL=$DIRECT_DATABASE_URL /app/bin/migrate'\""
        in editor.text[fly]
    )
    assert await editor.diagnostics(fly) == []


async def test_fix_lands_after_emoji_and_cjk(editor: Editor, tmp_path: Path) -> None:
    """The edited list has 🚀 on its last line and CJK above it: a column counted in the wrong
    unit puts the new pair in the middle of a character or a word."""
    root = copy_project(FIXTURES / "multiline_trailing_comma", tmp_path / "ledger")
    runtime = editor.open(root / "config" / "runtime.exs")
    before = editor.text[runtime]
    diags = await editor.diagnostics(runtime)
    d101 = next(d for d in diags if d.code == "MPG101")
    (action,) = [a for a in await editor.actions(runtime, d101.range) if a.is_preferred]
    editor.apply(action.edit)
    line = "    socket_options: [:inet6], # 🚀 IPv6 on Fly\n"
    assert editor.text[runtime] == before.replace(line, line + "    prepare: :unnamed,\n")
    d102 = next(d for d in await editor.diagnostics(runtime) if d.code == "MPG102")
    assert d102.range.start == editor.find(runtime, "prepare: :named")


async def test_typing_keeps_text_tree_and_diagnostics_in_step(
    editor: Editor, tmp_path: Path
) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    await editor.diagnostics(runtime)
    # type a comment with emoji and CJK at the top, one character at a time, then break a line
    at = editor.text[runtime].index("import Config") + len("import Config")
    for ch in "\n# 日本 🚀 é":
        editor.change(runtime, at, at, ch)
        at += 1
    text = editor.text[runtime]
    cut = text.index("pool_size")
    editor.change(runtime, cut, cut + len("pool_size"), "pool_sz")
    editor.change(runtime, cut, cut + len("pool_sz"), "pool_size")
    (diag,) = await editor.diagnostics(runtime)
    assert diag.range.start == editor.find(runtime, "Storefront.Repo,")
    state = await editor.sync_state(runtime)
    assert _get(state, "text") == editor.text[runtime]
    assert _get(state, "mismatches") == 0
    assert _get(state, "treeMatchesFreshParse")


async def test_hover_explains_keys_and_stays_out_of_the_way(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    fly = editor.open(root / "fly.toml", "toml")
    config = editor.open(root / "config" / "config.exs")
    pool = await editor.hover(runtime, editor.find(runtime, "pool_size:"))
    assert pool is not None and "pool_size" in pool and "http" in pool
    url = await editor.hover(runtime, editor.find(runtime, "url: database_url"))
    assert url is not None and "DATABASE_URL: pooled" in url
    env = await editor.hover(runtime, editor.find(runtime, 'DATABASE_URL")'))
    assert env is not None and "DATABASE_URL" in env
    release = await editor.hover(fly, editor.find(fly, "release_command"))
    assert release is not None and "release_command" in release
    notifier_free = await editor.hover(config, editor.find(config, "repo: Storefront.Repo"))
    assert notifier_free is not None and "repo" in notifier_free
    on_diagnostic = await editor.hover(runtime, editor.find(runtime, "Storefront.Repo,"))
    assert on_diagnostic is not None and on_diagnostic.startswith(
        "**MPG101** `prepare-unnamed-missing`"
    )
    assert "MPG101.md" in on_diagnostic and "prepared statement" in on_diagnostic
    assert await editor.hover(runtime, editor.find(runtime, "import Config")) is None
    assert await editor.hover(runtime, editor.find(runtime, "host: host")) is None


async def test_hover_on_connection_keys_with_their_diagnostics(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(FIXTURES / "startup_parameters", tmp_path / "atlas")
    runtime = editor.open(root / "config" / "runtime.exs")
    codes = sorted(str(d.code) for d in await editor.diagnostics(runtime))
    assert codes == ["MPG106", "MPG110", "MPG110"]
    # inside `parameters: [...]`, the nested key explains itself and the refused login
    nested = await editor.hover(runtime, editor.find(runtime, 'search_path: "atlas'))
    assert nested is not None and nested.startswith("**MPG110** `startup-parameter-rejected`")
    assert "**`search_path`**" in nested and "Postgrex 0.20" in nested
    params = await editor.hover(runtime, editor.find(runtime, "parameters: [application_name"))
    assert params is not None and params.startswith("**`parameters`**")

    root = copy_project(FIXTURES / "max_lifetime", tmp_path / "harbor")
    runtime = editor.open(root / "config" / "runtime.exs")
    assert {d.code for d in await editor.diagnostics(runtime)} == {"MPG111"}
    life = await editor.hover(runtime, editor.find(runtime, "max_lifetime: 300_000"))
    assert life is not None and "**`max_lifetime`**" in life and "2.10.1" in life


async def test_hover_on_an_event_stores_keys(editor: Editor, tmp_path: Path) -> None:
    root = copy_project(FIXTURES / "eventstore_session_url", tmp_path / "shop")
    runtime = editor.open(root / "config" / "runtime.exs")
    await editor.diagnostics(runtime)
    session = await editor.hover(runtime, editor.find(runtime, "session_mode_url:"))
    assert session is not None and session.startswith("**`session_mode_url`**")
    assert "MPG209" in session and "DIRECT_DATABASE_URL" in session
    # the event store's own keys, not a repo's: the second pooled `url:` is the store's
    url = await editor.hover(runtime, editor.find(runtime, 'url: System.fetch_env!("DATA', nth=1))
    assert url is not None and "EventStore" in url and "session_mode_url" in url
    assert await editor.hover(runtime, editor.find(runtime, "serializer:")) is None


async def test_connection_budget_follows_the_plan_set_in_the_editor(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(FIXTURES / "connection_budget", tmp_path / "harbor")
    runtime = editor.open(root / "config" / "runtime.exs")
    budget = [d for d in await editor.diagnostics(runtime) if d.code == "MPG309"]
    assert [d.range.start for d in budget] == [
        editor.find(runtime, "pool_size: String"),
        editor.find(runtime, "pool_size: 6"),
    ]
    assert "over the Basic plan's 200" in budget[0].message
    assert budget[0].severity == t.DiagnosticSeverity.Information
    # Launch allows 500 client and 150 database connections: the estimate (400, 70) fits
    editor.client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"mpgLsp": {"mpgPlan": "launch"}})
    )
    editor.change(runtime, 0, 0, "")
    assert [d for d in await editor.diagnostics(runtime) if d.code == "MPG309"] == []
    editor.client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"mpgLsp": {}})
    )


async def test_crlf_project_stays_crlf(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path, crlf=True)
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    assert diag.range.start == editor.find(runtime, "Storefront.Repo,")
    (action, *_) = await editor.actions(runtime, diag.range)
    editor.apply(action.edit)
    assert "socket_options: maybe_ipv6,\r\n    prepare: :unnamed\r\n" in editor.text[runtime]
    assert "\n" not in editor.text[runtime].replace("\r\n", "")
    assert await editor.diagnostics(runtime) == []


async def test_compliant_and_foreign_projects_get_nothing(editor: Editor, tmp_path: Path) -> None:
    for case in ("compliant", "no_fly"):
        root = copy_project(FIXTURES / case, tmp_path / case)
        for path in sorted(root.rglob("*")):
            if path.suffix in (".exs", ".toml") or path.name == "mix.lock":
                uri = editor.open(path, "toml" if path.suffix == ".toml" else "elixir")
                assert await editor.diagnostics(uri) == [], path


async def test_change_in_runtime_exs_republishes_fly_toml(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    fly = editor.open(root / "fly.toml", "toml")
    runtime = editor.open(root / "config" / "runtime.exs")
    (before,) = await editor.diagnostics(fly)
    assert "with DATABASE_URL" in before.message
    start = editor.text[runtime].index('"DATABASE_URL"')
    editor.change(runtime, start, start + len('"DATABASE_URL"'), '"STOREFRONT_DB_URL"')
    await editor.diagnostics(runtime)
    if editor.pull:
        assert editor.client.diagnostic_refresh_count >= 1
        (after,) = await editor.diagnostics(fly)
    else:
        for _ in range(500):
            latest = [p for p in editor.client.published if p.uri == fly][-1]  # type: ignore[attr-defined]
            if latest.diagnostics and "STOREFRONT_DB_URL" in latest.diagnostics[0].message:
                break
            import asyncio

            await asyncio.sleep(0.01)
        (after,) = latest.diagnostics
    assert "with STOREFRONT_DB_URL" in after.message
    (action, _) = await editor.actions(fly, after.range)
    editor.apply(action.edit)
    assert "STOREFRONT_DB_URL=$DIRECT_DATABASE_URL /app/bin/migrate" in editor.text[fly]


async def test_fix_all_and_the_two_file_phoenix_notifier_fix(
    editor: Editor, tmp_path: Path
) -> None:
    root = copy_project(FIXTURES / "inline_single_line", tmp_path / "shop")
    config = editor.open(root / "config" / "config.exs")
    diags = await editor.diagnostics(config)
    assert sorted(str(d.code) for d in diags) == ["MPG201", "MPG202"]
    whole = t.Range(start=t.Position(line=0, character=0), end=t.Position(line=99, character=0))
    (fix_all,) = await editor.actions(config, whole, only=["source.fixAll.mpg-lsp"])
    assert fix_all.kind == "source.fixAll.mpg-lsp"
    editor.apply(fix_all.edit)
    assert "notifier: Oban.Notifiers.PG," in editor.text[config]
    assert "Repeater" not in editor.text[config]
    assert await editor.diagnostics(config) == []

    sample = await _open_sample(editor, tmp_path)
    sconfig = editor.open(sample / "config" / "config.exs")
    (d201,) = await editor.diagnostics(sconfig)
    actions = await editor.actions(sconfig, d201.range)
    phoenix = next(a for a in actions if "Phoenix" in a.title)
    editor.apply(phoenix.edit)
    mix = (sample / "mix.exs").as_uri()
    assert "notifier: {Oban.Notifiers.Phoenix, pubsub: Storefront.PubSub}" in editor.text[sconfig]
    assert (
        '{:bandit, "~> 1.5"},\n      {:oban_notifiers_phoenix, "~> 0.2"}\n    ]' in editor.text[mix]
    )


async def test_position_encoding_is_negotiated(editor: Editor) -> None:
    expected = {"neovim@v0.11.0": "utf-8", "emacs": "utf-32"}.get(editor.profile, "utf-16")
    assert editor.encoding == expected
    provider = editor.client.init_result.capabilities.diagnostic_provider  # type: ignore[attr-defined]
    assert (provider is not None) == (editor.profile == "visual-studio-code+pull")


async def test_bad_input_never_kills_the_server(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    (root / "mix.lock").write_bytes(b"%{\xff\xfe not a lock \x00")
    (root / "fly.staging.toml").write_text("")
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    # half-type a new config call inside the prod block: nothing is invented from it
    at = editor.text[runtime].index("  secret_key_base =")
    for ch in "  config :storefront, Storefront.Repo, prepare: [":
        editor.change(runtime, at, at, ch)
        at += 1
    diags = await editor.diagnostics(runtime)
    assert [d.code for d in diags] in (["MPG101"], [])
    fly = editor.open(root / "fly.staging.toml", "toml")
    assert await editor.diagnostics(fly) == []
    # the server still answers
    assert await editor.hover(runtime, editor.find(runtime, "pool_size:")) is not None


async def test_save_republishes_and_close_clears(editor: Editor, tmp_path: Path) -> None:
    if editor.pull:
        return  # pull clients ask for diagnostics themselves
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    await editor.diagnostics(runtime)
    count = len(editor.client.published)  # type: ignore[attr-defined]
    editor.client.text_document_did_save(
        t.DidSaveTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=runtime))
    )
    assert (await editor.diagnostics(runtime))[0].code == "MPG101"
    editor.client.text_document_did_close(
        t.DidCloseTextDocumentParams(text_document=t.TextDocumentIdentifier(uri=runtime))
    )
    import asyncio

    for _ in range(300):
        latest = [p for p in editor.client.published[count:] if p.uri == runtime]  # type: ignore[attr-defined]
        if latest and len(latest[-1].diagnostics) == 0:
            break
        await asyncio.sleep(0.01)
    assert latest and len(latest[-1].diagnostics) == 0


async def test_ignore_comment_fix_suppresses_and_unused_one_is_reported(
    editor: Editor, tmp_path: Path
) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    ignore = next(
        a for a in await editor.actions(runtime, diag.range) if a.title.startswith("Ignore")
    )
    editor.apply(ignore.edit)
    assert (
        "\n  # mpg-lsp: ignore MPG101\n  config :storefront, Storefront.Repo,"
        in editor.text[runtime]
    )
    assert await editor.diagnostics(runtime) == []
    # the repo gets prepare: the suppression now suppresses nothing
    at = editor.text[runtime].index("    socket_options: maybe_ipv6") + len(
        "    socket_options: maybe_ipv6"
    )
    editor.change(runtime, at, at, ",\n    prepare: :unnamed")
    (unused,) = await editor.diagnostics(runtime)
    assert unused.code == "MPG001" and list(unused.tags or []) == [t.DiagnosticTag.Unnecessary]
    code_hover = await editor.hover(runtime, editor.find(runtime, "MPG101\n"))
    assert (
        code_hover is not None
        and "prepare-unnamed-missing" in code_hover
        and "MPG101.md" in code_hover
    )
    (remove,) = await editor.actions(runtime, unused.range)
    editor.apply(remove.edit)
    assert "mpg-lsp: ignore" not in editor.text[runtime]
    assert await editor.diagnostics(runtime) == []


async def test_settings_change_takes_effect_without_restart(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    assert diag.severity == t.DiagnosticSeverity.Warning
    # the team's .mpg-lsp.toml wins; a watched-file event makes it count at once
    (root / ".mpg-lsp.toml").write_text('severity = { MPG101 = "error" }\n')
    editor.client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams(
            changes=[
                t.FileEvent(uri=(root / ".mpg-lsp.toml").as_uri(), type=t.FileChangeType.Created)
            ]
        )
    )
    editor.change(runtime, 0, 0, "")  # a new version to read diagnostics for
    (diag,) = await editor.diagnostics(runtime)
    assert diag.severity == t.DiagnosticSeverity.Error
    (root / ".mpg-lsp.toml").write_text('ignore = ["MPG101"]\n')
    editor.client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams(
            changes=[
                t.FileEvent(uri=(root / ".mpg-lsp.toml").as_uri(), type=t.FileChangeType.Changed)
            ]
        )
    )
    editor.change(runtime, 0, 0, "")
    assert await editor.diagnostics(runtime) == []


async def test_watched_file_change_republishes_open_files(editor: Editor, tmp_path: Path) -> None:
    root = await _open_sample(editor, tmp_path)
    fly = editor.open(root / "fly.toml", "toml")
    (before,) = await editor.diagnostics(fly)
    assert "with DATABASE_URL" in before.message
    runtime = root / "config" / "runtime.exs"  # not open: changed on disk
    runtime.write_text(runtime.read_text().replace('"DATABASE_URL"', '"SHOP_DB"'))
    count = len(editor.client.published)  # type: ignore[attr-defined]
    editor.client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams(
            changes=[t.FileEvent(uri=runtime.as_uri(), type=t.FileChangeType.Changed)]
        )
    )
    if editor.pull:
        import asyncio

        for _ in range(300):
            if editor.client.diagnostic_refresh_count:
                break
            await asyncio.sleep(0.01)
        (after,) = await editor.diagnostics(fly)
    else:
        import asyncio

        for _ in range(300):
            fresh = [p for p in editor.client.published[count:] if p.uri == fly]  # type: ignore[attr-defined]
            if fresh:
                break
            await asyncio.sleep(0.01)
        (after,) = fresh[-1].diagnostics
    assert "with SHOP_DB" in after.message


async def test_two_projects_in_one_session(editor: Editor, tmp_path: Path) -> None:
    """Multi-root: each file is judged by its own project's config."""
    shop = copy_project(FIXTURES / "inline_single_line", tmp_path / "shop")
    tidy = copy_project(FIXTURES / "compliant", tmp_path / "tidy")
    shop_runtime = editor.open(shop / "config" / "runtime.exs")
    tidy_runtime = editor.open(tidy / "config" / "runtime.exs")
    assert sorted(str(d.code) for d in await editor.diagnostics(shop_runtime)) == [
        "MPG101",
        "MPG104",
    ]
    assert await editor.diagnostics(tidy_runtime) == []


async def test_bad_settings_are_reported_where_written_and_defaults_used(
    editor: Editor, tmp_path: Path
) -> None:
    root = await _open_sample(editor, tmp_path)
    (root / ".mpg-lsp.toml").write_text('ignore = ["MPG201"]\npool-mode = "sessions"\n')
    settings = editor.open(root / ".mpg-lsp.toml", "toml")
    runtime = editor.open(root / "config" / "runtime.exs")
    (diag,) = await editor.diagnostics(runtime)
    assert diag.code == "MPG101"  # pool-mode fell back to transaction
    (problem,) = await editor.diagnostics(settings)
    assert (
        problem.range.start.line == 1
        and "pool-mode" in problem.message
        and "default" in problem.message
    )
    # the editor's own settings: a change applies at once; a bad value is shown once
    editor.client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(
            settings={"mpgLsp": {"poolMode": "session", "directPoolMax": "lots"}}
        )
    )
    editor.change(runtime, 0, 0, "")
    # .mpg-lsp.toml still wins for pool-mode only where it is valid: here it is not, so the
    # editor's "session" applies and MPG101 (transaction mode only) goes away
    assert await editor.diagnostics(runtime) == []
    import asyncio

    for _ in range(300):
        shown = [m.message for m in editor.client.messages if "directPoolMax" in m.message]
        if shown:
            break
        await asyncio.sleep(0.01)
    editor.change(runtime, 0, 0, "")
    await editor.diagnostics(runtime)
    assert len([m for m in editor.client.messages if "directPoolMax" in m.message]) == 1
    # leave the shared server as we found it
    editor.client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"mpgLsp": {}})
    )
