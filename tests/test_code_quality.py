"""The code stays `mypy --strict` and `ruff` clean: checked here so CI enforces it."""

from __future__ import annotations

import subprocess
import sys

from sites import REPO


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_lint_and_format() -> None:
    lint = run("ruff", "check", "src", "tests", "fuzz")
    assert lint.returncode == 0, lint.stdout
    style = run("ruff", "format", "--check", "src", "tests", "fuzz")
    assert style.returncode == 0, style.stdout
