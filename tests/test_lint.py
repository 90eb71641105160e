"""The code stays clean: ruff's lint rules and formatting, and mypy's types (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--no-cache", "--check", "."],
        # Incremental: .mypy_cache (git-ignored) keeps what it learnt of the files that did not change
        # and of the libraries, keyed by their contents and mypy's version and options; a fresh clone checks all.
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_passes(command: list[str]) -> None:
    tool = BIN / command[0]
    assert tool.exists(), f"{command[0]} is missing: `make test` installs it from requirements-test.txt"
    # mypy by its module: the interpreter running the tests is the one with the project's packages.
    run = [sys.executable, "-m", "mypy", *command[1:]] if command[0] == "mypy" else [str(tool), *command[1:]]
    result = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
