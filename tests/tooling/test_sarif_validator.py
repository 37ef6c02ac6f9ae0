"""`mpg-lsp check --format sarif` against Microsoft's SARIF validator (@microsoft/sarif-multitool,
from the npm lock in tests/cli_tools)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import run
from projects import REPO

TOOLS = REPO / "tests" / "cli_tools"


@pytest.fixture(scope="module")
def sarif_multitool() -> Path:
    """Microsoft's SARIF validator, from the npm lock in tests/cli_tools (installed once)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(
            "npm is not installed: the SARIF validator (@microsoft/sarif-multitool) comes from npm"
        )
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform)
    if platform is None:
        pytest.skip(f"@microsoft/sarif-multitool has no build for {sys.platform}")
    package = TOOLS / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}"
    binary = package / ("Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool")
    stamp = TOOLS / "node_modules" / ".mpg-lsp-lock"
    lock = hashlib.sha256((TOOLS / "package-lock.json").read_bytes()).hexdigest()
    if not (binary.exists() and stamp.exists() and stamp.read_text() == lock):
        out = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            check=False,
            cwd=TOOLS,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stderr
        stamp.write_text(lock)
    if not os.access(binary, os.X_OK):  # its postinstall does this; npm may not run install scripts
        binary.chmod(binary.stat().st_mode | 0o100)
    return binary


def test_sarif_output_is_valid_sarif_2_1_0(
    sarif_multitool: Path, workspace: Path, tmp_path: Path
) -> None:
    ours = tmp_path / "mpg-lsp.sarif"
    ours.write_text(run("check", "--format", "sarif", ".", cwd=workspace).stdout, encoding="utf-8")
    log = json.loads(ours.read_text())
    assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) > 10
    # the control: the same log with a result missing its required message must be caught
    broken = copy.deepcopy(log)
    del broken["runs"][0]["results"][0]["message"]
    control = tmp_path / "control.sarif"
    control.write_text(json.dumps(broken), encoding="utf-8")
    env = dict(
        os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", DOTNET_CLI_TELEMETRY_OPTOUT="1"
    )
    out = subprocess.run(
        [str(sarif_multitool), "validate", str(ours), str(control)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    report = out.stdout + out.stderr
    assert "2 files scanned" in report, report
    assert re.search(r"control\.sarif.*error JSON1002", report), report
    problems = [
        line
        for line in report.splitlines()
        if "mpg-lsp.sarif" in line and re.search(r": (error|warning) ", line)
    ]
    assert problems == []
    # validate reports nothing when the SARIF object model cannot read a value (an unknown
    # enum member): a rewrite reads the whole log through that model, and fails if it cannot
    rewrite = subprocess.run(
        [str(sarif_multitool), "rewrite", str(ours), "-o", str(tmp_path / "rewritten.sarif")],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert rewrite.returncode == 0, rewrite.stdout + rewrite.stderr
