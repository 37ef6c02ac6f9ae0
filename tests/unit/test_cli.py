"""The installed console script on fixture projects: every output format against golden files,
exit codes, --select/--ignore over .mpg-lsp.toml, colour, progress, `fix`, `rules`, `explain`.
(The SARIF validator and the pre-commit hooks, which drive other tools, are in tests/tooling/.)

Golden files live in tests/fixtures/cli/; MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites them.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import ANSI, golden, run, run_tty
from mpg_lsp import __version__
from mpg_lsp.cli.github import github_lines
from mpg_lsp.engine import Engine
from mpg_lsp.rules import REGISTRY, Finding
from mpg_lsp.rules.base import DOCS_DIR
from projects import (
    FIXTURES,
    SAMPLE,
    copy_project,
    elixir_errors,
    position,
    toml_error,
)


def normalise_sarif(log: dict, cwd: Path) -> dict:
    """What the golden file holds: the run without what other changes move (rule indices,
    rules no result uses, rule pages, the version, the working folder), each checked here."""
    log = copy.deepcopy(log)
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == sorted(REGISTRY)
    for rule in driver["rules"]:
        assert rule["help"]["markdown"] == REGISTRY[rule["id"]].docs()
        rule["help"] = {"text": "(the rule's page)", "markdown": "(the rule's page)"}
    used = {r["ruleId"] for r in run_["results"]}
    for result in run_["results"]:
        assert driver["rules"][result.pop("ruleIndex")]["id"] == result["ruleId"]
    driver["rules"] = [r for r in driver["rules"] if r["id"] in used]
    assert driver["version"] == __version__
    driver["version"] = driver["semanticVersion"] = "<VERSION>"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == cwd.as_uri() + "/"
    run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///<CWD>/"
    return log


# -- check: formats -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check_formats_match_golden_files(fmt: str, workspace: Path) -> None:
    out = run("check", "--format", fmt, ".", cwd=workspace)
    assert out.returncode == 1, out.stderr
    assert (
        str(workspace) not in out.stdout.replace(workspace.as_uri(), "")
        and "\x1b[" not in out.stdout
    )
    # rule pages are linked where the package is installed: the same on every machine here
    pages = Path(DOCS_DIR).as_uri() + "/"
    stdout = out.stdout.replace(pages, "file:///<installed mpg_lsp>/docs/rules/")
    if fmt == "sarif":
        actual = (
            json.dumps(normalise_sarif(json.loads(stdout), workspace), indent=2, ensure_ascii=False)
            + "\n"
        )
        golden("check.sarif", actual)
    else:
        golden(f"check.{'txt' if fmt == 'text' else fmt}", stdout)


def test_check_text_summary_and_exit_codes(tmp_path: Path) -> None:
    out = run("check", str(SAMPLE))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert any(
        ":22:23: MPG101 [*] " in line and line.endswith("behind the pooler.") for line in lines
    )
    assert lines[-1] == "Found 3 problems (3 fixable with `mpg-lsp fix`) in 1 project."
    clean = run("check", str(FIXTURES / "compliant"))
    assert (clean.returncode, clean.stdout.strip()) == (0, "All checks passed (1 project).")
    assert run("check", "--exit-zero", str(SAMPLE)).returncode == 0
    missing = run("check", str(tmp_path / "missing"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = run("check", str(tmp_path))
    assert empty.returncode == 2 and "no Elixir project" in empty.stderr
    assert run("check", "--format", "yaml").returncode == 2


def test_json_items_carry_positions_and_fixes() -> None:
    items = json.loads(run("check", "--format", "json", str(SAMPLE)).stdout)
    assert {i["code"] for i in items} == {"MPG101", "MPG201", "MPG301"}
    mpg101 = next(i for i in items if i["code"] == "MPG101")
    assert mpg101["start"] == {"line": 22, "column": 23} and mpg101["path"].endswith(
        "config/runtime.exs"
    )
    assert mpg101["name"] == "prepare-unnamed-missing" and mpg101["fixable"] is True
    preferred = next(f for f in mpg101["fixes"] if f["preferred"])
    assert preferred["safe"] and preferred["edits"][0]["text"].strip().endswith("prepare: :unnamed")


def test_columns_count_characters_in_text_and_utf16_units_in_sarif(tmp_path: Path) -> None:
    """A character outside the BMP before a finding: one character, two UTF-16 code units."""
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    secret = '  "X\U0001f680" = "postgresql://u:s3cretpw@pgbouncer.x.flympg.net/db"\n'
    fly.write_text(fly.read_text().replace("[env]\n", "[env]\n" + secret), encoding="utf-8")
    assert ":15:10: MPG304 " in run("check", "--select", "MPG304", str(root)).stdout
    gh = run("check", "--format", "github", "--select", "MPG304", str(root)).stdout
    assert ",line=15,col=10,endLine=15,endColumn=61,title=MPG304::" in gh
    log = json.loads(run("check", "--format", "sarif", "--select", "MPG304", str(root)).stdout)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert log["runs"][0]["columnKind"] == "utf16CodeUnits"
    assert region == {"startLine": 15, "startColumn": 11, "endLine": 15, "endColumn": 62}


def test_sarif_paths_outside_the_working_folder_are_absolute_uris(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "my app")
    here = tmp_path / "elsewhere"
    here.mkdir()
    log = json.loads(run("check", "--format", "sarif", str(root), cwd=here).stdout)
    where = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert (
        where["uri"].startswith("file:///")
        and "my%20app" in where["uri"]
        and "uriBaseId" not in where
    )
    inside = json.loads(run("check", "--format", "sarif", ".", cwd=root).stdout)
    where = inside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert where == {"uri": "config/config.exs", "uriBaseId": "%SRCROOT%"}


def test_github_commands_escape_their_data() -> None:
    finding = Finding("MPG101", "/w/a,b:c.exs", 0, 1, "50% off\nnext line", "hint")

    class Doc:
        def position_at(self, offset: int, encoding: str) -> tuple[int, int]:
            return 0, offset

    (line,) = github_lines([finding], lambda path: Doc(), cwd="/w")  # type: ignore[arg-type,return-value]
    assert (
        line
        == "::notice file=a%2Cb%3Ac.exs,line=1,col=1,endLine=1,endColumn=2,title=MPG101::50%25 "
        "off%0Anext line"
    )


# -- check: what runs -----------------------------------------------------------------------


def codes(out: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(i["code"] for i in json.loads(out.stdout))


def test_select_and_ignore_take_codes_and_prefixes() -> None:
    assert codes(run("check", "--format", "json", "--select", "MPG2", str(SAMPLE))) == ["MPG201"]
    assert codes(run("check", "--format", "json", "--select", "mpg1,MPG3*", str(SAMPLE))) == [
        "MPG101",
        "MPG301",
    ]
    assert codes(
        run("check", "--format", "json", "--ignore", "MPG2", "--ignore", "MPG301", str(SAMPLE))
    ) == ["MPG101"]
    quiet = run("check", "--select", "MPG1", "--ignore", "MPG101", str(SAMPLE))
    assert quiet.returncode == 0 and quiet.stdout.strip() == "All checks passed (1 project)."
    bad = run("check", "--select", "MPG9", str(SAMPLE))
    assert bad.returncode == 2 and (
        "--select MPG9: no rule code, prefix or name matches it (`mpg-lsp rules` lists them)"
        in bad.stderr
    )
    # rule names and ALL, as `mpg-lsp explain` takes them
    by_name = run(
        "check",
        "--format",
        "json",
        "--select",
        "ALL",
        "--ignore",
        "prepare-unnamed-missing",
        str(SAMPLE),
    )
    assert codes(by_name) == ["MPG201", "MPG301"]


def test_the_command_line_narrows_the_project_settings(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / ".mpg-lsp.toml").write_text('ignore = ["MPG201"]\n', encoding="utf-8")
    # .mpg-lsp.toml turned MPG201 off; --select cannot turn it back on
    assert run("check", "--select", "MPG2", str(root)).returncode == 0
    (root / ".mpg-lsp.toml").write_text('select = ["MPG1", "MPG2"]\n', encoding="utf-8")
    assert codes(run("check", "--format", "json", "--select", "MPG101,MPG301", str(root))) == [
        "MPG101"
    ]
    assert codes(run("check", "--format", "json", "--ignore", "MPG101", str(root))) == ["MPG201"]


def test_project_settings_apply_as_in_the_server(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    (root / ".mpg-lsp.toml").write_text(
        'ignore = ["MPG301"]\nseverity = { MPG101 = "error" }\n', encoding="utf-8"
    )
    items = json.loads(run("check", "--format", "json", str(root), cwd=tmp_path).stdout)
    engine = Engine()  # the server's engine, with no editor settings
    expected = [
        (
            f.code,
            f.severity,
            os.path.relpath(f.path, tmp_path),
            position(engine, f.path, f.start, "utf-32"),
        )
        for f in engine.findings(str(root))
    ]
    got = [
        (i["code"], i["severity"], i["path"], (i["start"]["line"] - 1, i["start"]["column"] - 1))
        for i in items
    ]
    assert got == expected and [c for c, *_ in got] == ["MPG201", "MPG101"] and got[1][1] == "error"
    (root / ".mpg-lsp.toml").write_text('pool-mode = "session"\n', encoding="utf-8")
    assert codes(run("check", "--format", "json", str(root))) == [
        "MPG301"
    ]  # the others need transaction mode
    # --config wins over the file, as ruff's does
    assert codes(
        run("check", "--format", "json", "--config", "pool-mode = 'transaction'", str(root))
    ) == ["MPG101", "MPG201", "MPG301"]
    bad = run("check", "--config", "pool-mode = 'statement'", str(root))
    assert bad.returncode == 2 and "--config: `pool-mode` must be" in bad.stderr
    (root / ".mpg-lsp.toml").write_text("enabled = false\n", encoding="utf-8")
    assert run("check", str(root)).returncode == 0
    (root / ".mpg-lsp.toml").write_text("pool-mode = 'statement'\nignore = [\n", encoding="utf-8")
    broken = run("check", str(root))
    assert broken.returncode == 2, broken.stderr  # not a silent fall back to the defaults
    assert "storefront/.mpg-lsp.toml: cannot read .mpg-lsp.toml: not valid TOML" in broken.stderr
    assert "(at its end, line 2)" in broken.stderr and "storefront: not checked" in broken.stderr
    assert "MPG101" not in broken.stdout


def test_files_stand_for_their_projects(tmp_path: Path) -> None:
    """As pre-commit passes them: each file's project is checked once."""
    root = copy_project(SAMPLE, tmp_path / "storefront")
    out = run("check", "config/runtime.exs", "fly.toml", "mix.exs", cwd=root)
    assert out.returncode == 1 and out.stdout.splitlines()[-1].endswith("in 1 project.")
    stray = tmp_path / "notes.exs"
    stray.write_text("IO.puts(:hi)\n", encoding="utf-8")
    alone = run("check", str(stray))
    assert alone.returncode == 0 and "is in no Elixir project" in alone.stderr
    assert alone.stdout == "No Elixir project to check.\n"


# -- colour and progress --------------------------------------------------------------------


def test_colour_only_on_a_terminal_or_when_asked() -> None:
    assert "\x1b[" not in run("check", str(SAMPLE)).stdout  # piped
    forced = run("check", str(SAMPLE), FORCE_COLOR="1").stdout
    assert "\x1b[1;33mMPG101\x1b[0m" in forced
    assert ANSI.sub("", forced) == run("check", str(SAMPLE)).stdout
    assert "\x1b[" in run("check", "--color", "always", str(SAMPLE), NO_COLOR="1").stdout
    assert "\x1b[" not in run("check", str(SAMPLE), FORCE_COLOR="1", NO_COLOR="1").stdout
    assert "\x1b[" not in run("check", "--no-color", str(SAMPLE), FORCE_COLOR="1").stdout
    assert "\x1b[" not in run("check", "--format", "json", str(SAMPLE), FORCE_COLOR="1").stdout

    code, out, _ = run_tty("check", str(SAMPLE))
    assert code == 1 and "\x1b[1;33mMPG101\x1b[0m" in out
    for quiet in (
        run_tty("check", str(SAMPLE), NO_COLOR="1"),
        run_tty("check", "--no-color", str(SAMPLE)),
    ):
        assert quiet[0] == 1 and "\x1b[" not in quiet[1] and "MPG101" in quiet[1]


def test_progress_on_a_terminal_only_for_several_projects(workspace: Path) -> None:
    _, out, err = run_tty("check", ".", cwd=workspace)
    assert "[1/4] checking fly_env_secrets" in err and "[4/4] checking suppressions" in err
    assert err.endswith("\r\x1b[2K") and "[1/4]" not in out
    assert run("check", ".", cwd=workspace).stderr == ""  # piped: no progress
    assert "[1/" not in run_tty("check", str(SAMPLE))[2]  # one project: nothing to show


# -- fix ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["storefront", "multiline_trailing_comma", "repo_options"])
def test_fix_writes_valid_files_and_diff_writes_nothing(case: str, tmp_path: Path) -> None:
    src = SAMPLE if case == "storefront" else FIXTURES / case
    root = copy_project(src, tmp_path / case)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    diff = run("fix", "--diff", str(root))
    assert diff.returncode == 1 and diff.stdout.startswith("--- ")
    assert re.fullmatch(r"Would fix \d+ problems? in \d+ files? of 1 project\.\n", diff.stderr)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    fixed = run("fix", str(root))
    summary = fixed.stdout.splitlines()[-1]
    m = re.fullmatch(
        r"Found (\d+) problems? \((\d+) fixed, (\d+) remaining\) in 1 project\.( .*)?", summary
    )
    assert m and int(m[1]) == int(m[2]) + int(m[3]), summary
    assert fixed.returncode == (1 if int(m[3]) else 0)
    changed = [p for p in before if p.read_bytes() != before[p]]
    assert changed
    assert elixir_errors([p for p in changed if p.suffix == ".exs"]) == {}
    assert [p for p in changed if p.suffix == ".toml" and toml_error(p)] == []
    again = run("check", str(root))
    assert again.stdout.count("[*]") == 0, again.stdout
    assert len([line for line in again.stdout.splitlines() if " MPG" in line]) == int(m[3])


def test_fix_diff_matches_golden(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    diff = run("fix", "--diff", ".", cwd=root)
    golden("fix-storefront.diff", diff.stdout)


def test_fix_reports_like_ruff_and_respects_select(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    some = run("fix", "--select", "MPG101", str(root))
    assert (
        some.returncode == 0
        and some.stdout == "Found 1 problem (1 fixed, 0 remaining) in 1 project.\n"
    )
    assert "prepare: :unnamed" in (root / "config" / "runtime.exs").read_text()
    assert "Notifiers.PG" not in (root / "config" / "config.exs").read_text()
    rest = run("check", "--fix", str(root))  # `check --fix` is `fix`
    assert rest.stdout == "Found 2 problems (2 fixed, 0 remaining) in 1 project.\n"
    assert run("fix", str(root)).stdout == "All checks passed (1 project).\n"


def test_fix_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = copy_project(SAMPLE, tmp_path / "storefront")
    fly = root / "fly.toml"
    fly.chmod(0o640)
    run("fix", str(root))
    assert oct(fly.stat().st_mode & 0o777) == "0o640"
    assert not [p for p in root.rglob(".mpg-lsp-*")]


# -- rules and explain ----------------------------------------------------------------------


def test_rules_table_and_json() -> None:
    out = run("rules")
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Code", "Name", "Severity", "Fix", "What", "it", "catches"]
    assert [line.split()[0] for line in lines[1:]] == sorted(REGISTRY)
    assert lines[1].split()[:4] == ["MPG001", "unused-suppression", "hint", "yes"]
    items = json.loads(run("rules", "--format", "json").stdout)
    assert {i["code"]: i["fixable"] for i in items} == {c: r.fixable for c, r in REGISTRY.items()}
    assert "\x1b[1m" in run("rules", "--color", "always").stdout


def test_explain_prints_the_page_and_renders_it_on_a_terminal() -> None:
    plain = run("explain", "mpg101")
    assert plain.returncode == 0 and plain.stdout.startswith(
        "# MPG101: prepare-unnamed-missing\n\nDefault severity: warning;"
    )
    assert "```elixir" in plain.stdout
    assert run("explain", "prepare-unnamed-missing").stdout == plain.stdout
    code, shown, _ = run_tty("explain", "MPG101")
    assert code == 0 and shown.startswith("\x1b[1;4mMPG101: prepare-unnamed-missing\x1b[0m")
    assert "```" not in shown and "\x1b[36mprepare: :unnamed\x1b[0m" in shown
    unknown = run("explain", "MPG10")
    assert unknown.returncode == 2 and "did you mean" in unknown.stderr
    assert "MPG110" in unknown.stderr


# What `check` must not load: the server's stack, and standard modules whose import alone was a
# good part of its start-up (dataclasses brings inspect, ast and dis; logging brings traceback and
# threading; importlib.resources, which tree-sitter-toml's package imports, brings tempfile and
# shutil). The speed itself is measured by tests/bench/run.py; this keeps a regression from
# sneaking back silently.
HEAVY_FOR_CHECK = (
    "pygls",
    "lsprotocol",
    "attrs",
    "cattrs",
    "dataclasses",
    "inspect",
    "logging",
    "json",
    "importlib.resources",
)


def test_check_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from mpg_lsp.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['check', sys.argv[1]])\n"
        "print(sorted(m for m in sys.argv[2].split(',') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLE), ",".join(HEAVY_FOR_CHECK)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
