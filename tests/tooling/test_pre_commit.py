"""The pre-commit hooks of .pre-commit-hooks.yaml, installed by pre-commit from a commit of this
checkout, in a user's repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import clean_env
from projects import REPO, SAMPLE, copy_project


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's hook definitions and package as a one-commit git repository, and its
    revision: pre-commit installs hooks from a revision, so files not yet committed count too."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("server", "grammars"):
        shutil.copytree(REPO / name, repo / name, ignore=ignore)
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "hooks")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    )
    return repo, rev.stdout.strip()


def git(cwd: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_pre_commit_hooks(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    """A user's repository that lists both hooks, as the README shows, with the project in a
    folder of it. (Not `pre-commit try-repo`: it installs the hooks anew on every call.)"""
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    if pre_commit is None:
        pytest.skip(
            "pre-commit is not installed in this environment (it is in the test extra: pip "
            "install -e '.[test]')"
        )
    repo, rev = hook_repo
    user = tmp_path / "user"
    copy_project(SAMPLE, user / "app")
    (user / "README.md").write_text("not checked\n", encoding="utf-8")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: mpg-lsp\n"
        "      - id: mpg-lsp-fix\n        stages: [manual]\n",
        encoding="utf-8",
    )
    git(user, "init", "-q")
    git(user, "add", ".")
    env = clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))

    def pre_commit_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", *args],
            check=False,
            cwd=user,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )

    check = pre_commit_run("mpg-lsp", "--all-files")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "app/config/runtime.exs:22:23: MPG101" in check.stdout
    assert "Found 3 problems (3 fixable with `mpg-lsp fix`) in 1 project." in check.stdout
    skipped = pre_commit_run("mpg-lsp", "--files", "README.md")
    assert skipped.returncode == 0 and "(no files to check)Skipped" in skipped.stdout, (
        skipped.stdout
    )
    fix = pre_commit_run("mpg-lsp-fix", "--hook-stage", "manual", "--files", "app/fly.toml")
    assert fix.returncode == 1 and "files were modified by this hook" in fix.stdout, fix.stdout
    assert "Found 3 problems (3 fixed, 0 remaining) in 1 project." in fix.stdout
    assert "prepare: :unnamed" in (user / "app" / "config" / "runtime.exs").read_text()
    git(user, "add", ".")
    again = pre_commit_run("mpg-lsp", "--all-files")
    assert again.returncode == 0 and "Passed" in again.stdout, again.stdout
