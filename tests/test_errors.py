"""Every kind of content error is reported compiler-style, located, with a hint; nothing is written.

Each folder in tests/fixtures/invalid/ overlays the mini project with broken files; its
expected.txt holds the exact messages. Refresh after a deliberate wording change with
`UPDATE_GOLDEN=1 make test PYTEST_ARGS=tests/test_errors.py`, then read the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

INVALID = REPO / "tests" / "fixtures" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def overlay(project: Path, case: str) -> None:
    for file in (INVALID / case).rglob("*"):
        if file.is_file() and file.name != "expected.txt":
            target = project / file.relative_to(INVALID / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)


def run_build(project: Path, *args: str) -> subprocess.CompletedProcess:
    code = "import sys; from pathlib import Path; from factsheet.cli import main; sys.exit(main(sys.argv[1:], project=Path.cwd()))"
    env = {**os.environ, "PYTHONPATH": str(REPO / "site_src")}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", CASES)
def test_broken_content_reports_every_error_with_file_line_and_column(mini_project: Path, case: str) -> None:
    overlay(mini_project, case)
    result = run_build(mini_project, "build", "--out", str(mini_project / "_site"))
    expected_file = INVALID / case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(result.stderr)
    assert result.returncode == 1
    assert result.stderr == expected_file.read_text()
    assert "Traceback" not in result.stderr
    assert not (mini_project / "_site").exists()


def test_check_reports_the_same_errors_and_writes_nothing(mini_project: Path) -> None:
    overlay(mini_project, "unknown-key")
    result = run_build(mini_project, "check")
    assert result.returncode == 1
    assert result.stderr == (INVALID / "unknown-key" / "expected.txt").read_text()
    assert not (mini_project / "_site").exists()


def test_strict_turns_warnings_into_errors_and_counts_them(mini_project: Path) -> None:
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(europe.read_text().split("  - device: beta")[0])  # beta left without an answer
    relaxed = run_build(mini_project, "check")
    strict = run_build(mini_project, "check", "--strict")
    warning = "content/europe.yaml:2:3: warning: device 'beta' has no Europe answer; add an entry for it\n"
    assert relaxed.returncode == 0 and warning in relaxed.stderr
    assert strict.returncode == 1
    assert strict.stderr == warning + "0 errors, 1 warning (--strict counts the 1 warning as errors); nothing written\n"


def test_failed_build_leaves_the_last_good_site_in_place(mini_project: Path) -> None:
    out = mini_project / "_site"
    assert run_build(mini_project, "build", "--out", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    overlay(mini_project, "quote-not-found")
    assert run_build(mini_project, "build", "--out", str(out)).returncode == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
