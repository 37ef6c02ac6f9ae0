"""The wheel ships the grammar queries and the docs, and a regular (non-editable) install finds
them at run time, as the editable install used by the tests does."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from mpg_lsp import __version__
from projects import REPO, SAMPLE


def test_wheel_ships_grammars_and_docs_and_a_regular_install_runs(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("mpg_lsp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"mpg_lsp/grammars/elixir/nodes.scm", "mpg_lsp/grammars/toml/nodes.scm"} <= names
    assert "mpg_lsp/docs/rules/MPG101.md" in names and "mpg_lsp/docs/hover/repo.prepare.md" in names
    # the licence: its text in the wheel, its SPDX expression in the metadata
    dist_info = f"mpg_lsp-{__version__}.dist-info"
    assert f"{dist_info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # the installed copy, not the checkout: grammars and docs must come from inside it
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import mpg_lsp, mpg_lsp.syntax.queries as q, mpg_lsp.syntax.elixir as e;"
        "assert mpg_lsp.__file__.startswith(sys.argv[1]), mpg_lsp.__file__;"
        "print(q.grammars_dir()); e.check_grammar();"
        "from mpg_lsp.cli import main; raise SystemExit(main(['check', sys.argv[2]]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(target), str(SAMPLE)],
        capture_output=True,
        text=True,
        env=env,
    )
    # -S keeps the editable finder out; the dependencies come from the venv's site-packages
    if "No module named" in out.stderr:
        site = next(p for p in sys.path if p.endswith("site-packages"))
        code = code.replace(
            "sys.path.insert(0, sys.argv[1]);",
            f"sys.path.insert(0, sys.argv[1]); sys.path.append({site!r});",
        )
        out = subprocess.run(
            [sys.executable, "-S", "-c", code, str(target), str(SAMPLE)],
            capture_output=True,
            text=True,
            env=env,
        )
    assert out.stdout.splitlines()[0] == str(target / "mpg_lsp" / "grammars"), out.stderr
    assert out.returncode == 1 and "Found 3 problems" in out.stdout, out.stderr


def test_the_source_distribution_carries_the_licence(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "License classifiers are deprecated" not in done.stdout + done.stderr
    assert "license` as a TOML table is deprecated" not in done.stdout + done.stderr
    (sdist,) = tmp_path.glob("mpg_lsp-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        assert f"mpg_lsp-{__version__}/LICENSE" in names
        info = archive.extractfile(f"mpg_lsp-{__version__}/PKG-INFO")
        assert info is not None and "License-Expression: MIT" in info.read().decode()
