"""The command line tells the truth about what it did: projects it did not check are said to
be unchecked (why, and how to check them anyway), never "passed"; settings-file mistakes are
pointed out ("did you mean"), and a settings file that is not TOML stops the check; a missing
path does not hide the others' findings; `mpg-lsp` on a terminal says it is a server.

One golden transcript (tests/fixtures/cli/honesty.txt) holds what each command prints and
its exit code; MPG_LSP_UPDATE_SNAPSHOTS=1 rewrites it.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from command_line import SCRIPT, clean_env, run
from projects import REPO, SAMPLE, copy_project

GOLDEN = REPO / "tests" / "fixtures" / "cli" / "honesty.txt"

COMMANDS = [
    ["check", "storefront", "plain"],
    ["check", "plain"],
    ["check", "--config", "enabled = true", "plain"],
    ["check", "disabled"],
    ["check", "storefront", "missing"],
    ["check", "typos"],
    ["check", "not_toml"],
    ["check", "--select", "prepare-unnamed-missing,MPG3", "storefront"],
    ["check", "--select", "ALL", "--ignore", "MPG1,oban-listen-notify", "storefront"],
    ["check", "--select", "MPG9", "storefront"],
    ["fix", "--diff", "--format", "json", "storefront"],
    ["check", "--jobs", "0", "storefront"],
]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("honesty")
    copy_project(SAMPLE, root / "storefront")
    plain = copy_project(SAMPLE, root / "plain")  # no Fly config: not an MPG project
    (plain / "fly.toml").unlink()
    disabled = copy_project(SAMPLE, root / "disabled")
    (disabled / ".mpg-lsp.toml").write_text("enabled = false\n", encoding="utf-8")
    typos = copy_project(SAMPLE, root / "typos")
    (typos / ".mpg-lsp.toml").write_text(
        'ignroe = ["MPG301"]\npool_mode = "session"\nselect = ["MPG1", "MPG999"]\n',
        encoding="utf-8",
    )
    not_toml = copy_project(SAMPLE, root / "not_toml")
    (not_toml / ".mpg-lsp.toml").write_text(
        'pool-mode = "session"\nignore = ["MPG301"\nenabled = true\n', encoding="utf-8"
    )
    return root


def transcript(projects: Path) -> str:
    out = []
    for args in COMMANDS:
        done = run(*args, cwd=projects)
        out.append(f"$ mpg-lsp {' '.join(args)}\n")
        out += [f"stdout| {line}\n" for line in done.stdout.splitlines()]
        out += [f"stderr| {line}\n" for line in done.stderr.splitlines()]
        out.append(f"exit {done.returncode}\n\n")
    return "".join(out)


def test_what_the_command_line_says_matches_the_golden_transcript(projects: Path) -> None:
    actual = transcript(projects)
    if os.environ.get("MPG_LSP_UPDATE_SNAPSHOTS") == "1" or not GOLDEN.exists():
        existed = GOLDEN.exists()
        GOLDEN.write_text(actual, encoding="utf-8")
        if not existed:
            pytest.fail(f"{GOLDEN} did not exist; written, check it in")
    assert actual == GOLDEN.read_text(encoding="utf-8"), (
        "honesty.txt drifted: MPG_LSP_UPDATE_SNAPSHOTS=1 regenerates it"
    )


def test_an_unchecked_project_is_never_reported_as_passed(projects: Path) -> None:
    alone = run("check", "plain", cwd=projects)
    assert alone.returncode == 0 and "passed" not in alone.stdout
    assert "plain: not checked" in alone.stderr and "enabled = true" in alone.stderr
    both = run("check", "storefront", "plain", cwd=projects)
    assert both.stdout.splitlines()[-1].endswith("in 1 project checked; 1 not checked (see above).")
    forced = run("check", "--config", "enabled = true", "plain", cwd=projects)
    assert forced.returncode == 1 and "MPG101" in forced.stdout


def test_a_missing_path_is_reported_after_the_findings(projects: Path) -> None:
    done = run("check", "storefront", "missing", cwd=projects)
    assert done.returncode == 2 and "MPG101" in done.stdout
    assert done.stderr.strip() == "mpg-lsp: no such file or folder: missing"


def test_settings_file_mistakes_are_explained(projects: Path) -> None:
    done = run("check", "typos", cwd=projects)
    assert "unknown setting `ignroe`; did you mean `ignore`?" in done.stderr
    assert "unknown setting `pool_mode`; did you mean `pool-mode`?" in done.stderr
    assert "`select` MPG999: no rule code, prefix or name matches it" in done.stderr
    bad = run("check", "not_toml", cwd=projects)
    assert bad.returncode == 2 and "not valid TOML" in bad.stderr and "line 3" in bad.stderr
    assert bad.stdout.strip() == "No project checked: 1 project not checked (see above)."


def test_output_order_does_not_depend_on_the_number_of_jobs(tmp_path: Path) -> None:
    for n in range(6):
        copy_project(SAMPLE, tmp_path / f"app{n}")
    (tmp_path / "app3" / "fly.toml").unlink()
    outputs = {
        (fmt, jobs): run("check", "--format", fmt, "--jobs", jobs, ".", cwd=tmp_path)
        for fmt in ("text", "json", "sarif", "github")
        for jobs in ("1", "3")
    }
    for fmt in ("text", "json", "sarif", "github"):
        one, three = outputs[fmt, "1"], outputs[fmt, "3"]
        assert (one.stdout, one.stderr, one.returncode) == (
            three.stdout,
            three.stderr,
            three.returncode,
        )
    assert outputs["text", "3"].stdout.count("MPG101") == 5


def test_check_piped_into_head_stops_quietly(tmp_path: Path) -> None:
    for n in range(30):
        copy_project(SAMPLE, tmp_path / f"app{n:02}")
    done = subprocess.run(
        f"'{SCRIPT}' check . | head -n 1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    assert done.stdout.count("\n") == 1 and done.stderr == ""


def test_the_server_on_a_terminal_says_so_and_one_ctrl_c_ends_it() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: mpg-lsp with stdin, stdout and stderr on the terminal
        os.execve(SCRIPT, [SCRIPT], clean_env(TERM="xterm"))
    seen = b""
    deadline = time.monotonic() + 60
    while b"Ctrl-C quits" not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 4096)
    assert b"language server" in seen and b"mpg-lsp check" in seen
    time.sleep(0.5)
    os.kill(pid, signal.SIGINT)  # what the terminal sends for one Ctrl-C
    started = time.monotonic()
    _, status = os.waitpid(pid, 0)
    assert time.monotonic() - started < 5
    assert os.waitstatus_to_exitcode(status) == 130
    rest = b""
    try:
        while select.select([fd], [], [], 0.5)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            rest += chunk
    except OSError:  # EIO: the child is gone
        pass
    os.close(fd)
    assert b"Traceback" not in rest and b"Fatal Python error" not in rest


def test_the_server_on_a_pipe_prints_nothing_of_the_sort() -> None:
    proc = subprocess.Popen(
        [SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(MPG_LSP_LOG="WARNING"),
    )
    out, err = proc.communicate(b"", timeout=60)  # the editor went away at once
    assert b"language server" not in err and out == b""
