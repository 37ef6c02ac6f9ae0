"""Rule docs are the single source: the README's table, `explain`, and hover all read them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from mpg_lsp.cli.explain import errors_table
from mpg_lsp.cli.rules import rules_table
from mpg_lsp.rules import REGISTRY
from mpg_lsp.settings import SPECS, resolve, toml_example
from projects import REPO

HOVER_TOPICS = [
    "repo.url",
    "repo.pool_size",
    "repo.timeout",
    "repo.prepare",
    "repo.socket_options",
    "repo.parameters",
    "repo.search_path",
    "repo.max_lifetime",
    "oban.repo",
    "oban.notifier",
    "oban.plugins",
    "fly.release_command",
    "env.DATABASE_URL",
    "env.DIRECT_DATABASE_URL",
]


def readme_block(name: str, generated: str) -> None:
    """The README's text between ``<!-- name:start -->`` and ``<!-- name:end -->`` is
    ``generated``; MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = REPO / "README.md"
    readme = path.read_text(encoding="utf-8")
    head, rest = readme.split(f"<!-- {name}:start -->")
    block, tail = rest.split(f"<!-- {name}:end -->")
    if os.environ.get("MPG_LSP_UPDATE_SNAPSHOTS") == "1":
        path.write_text(
            f"{head}<!-- {name}:start -->\n{generated}\n<!-- {name}:end -->{tail}",
            encoding="utf-8",
        )
        return
    assert block.strip() == generated, (
        f"README's {name} drifted: MPG_LSP_UPDATE_SNAPSHOTS=1 regenerates it"
    )


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    readme_block("rules", rules_table())


def test_readme_error_table_is_generated_from_the_known_errors() -> None:
    readme_block("errors", errors_table())


def test_readme_settings_example_is_generated_from_the_settings_table() -> None:
    """Every setting, in the order and with the example values of settings.SPECS, and valid
    TOML that the settings model reads without a problem."""
    example = toml_example()
    readme_block("settings", f"```toml\n{example}\n```")
    assert resolve(None, tomllib.loads(example))[1] == []
    assert [line.split(" = ")[0] for line in example.splitlines()[1:]] == [s.name for s in SPECS]


def test_every_rule_has_a_page_with_the_sections_users_need() -> None:
    for code, rule in REGISTRY.items():
        page = rule.docs()
        assert page.splitlines()[0] == f"# {code}: {rule.name}"
        for section in (
            "## Why it matters on Fly MPG",
            "## Example",
            "## Fix",
            "## Suppress",
            "## Sources",
        ):
            assert section in page, (code, section)
        assert re.search(r"https://\S+", page.split("## Sources")[1]), code


def test_explain_prints_the_page() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", "explain", "mpg101"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("# MPG101: prepare-unnamed-missing")
    bad = subprocess.run(
        [sys.executable, "-m", "mpg_lsp", "explain", "MPG999"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "unknown rule" in bad.stderr


def test_hover_topics_exist_and_cite_a_source() -> None:
    for name in HOVER_TOPICS:
        text = (REPO / "server" / "mpg_lsp" / "docs" / "hover" / f"{name}.md").read_text(
            encoding="utf-8"
        )
        assert "Source" in text and "https://" in text, name
        assert not re.search(r"://[^:/\s]+:(?!PASS@)[^@\s]+@", text), f"{name} shows a credential"


def test_every_link_the_product_shows_resolves() -> None:
    """Rule pages are linked where the package is installed (a diagnostic's docs link, hover,
    `explain`, JSON, SARIF); the project has no public home yet (mpg_lsp.HOME is None), so
    nothing the product ships or the README shows may link to one."""
    from urllib.parse import unquote, urlparse

    import mpg_lsp

    for rule in REGISTRY.values():
        url = urlparse(rule.url)
        assert url.scheme == "file" and os.path.isfile(unquote(url.path)), rule.url
    assert mpg_lsp.HOME is None
    shipped = [REPO / "README.md", *(REPO / "server" / "mpg_lsp").rglob("*.py")]
    vscode = REPO / "clients" / "vscode"
    shipped += [vscode / "package.json", vscode / "README.md", *(vscode / "src").glob("*.ts")]
    for path in shipped:
        assert "github.com/mpg-lsp" not in path.read_text(encoding="utf-8"), path
