"""Shared fixtures: the repository, a copy of the tiny fixture project, and built sites."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from factsheet.pipeline import build_project

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"
# The browser the browser tests drive: Debian's chromium by default; a machine whose browser
# lives elsewhere (a GitHub runner's Chrome) names it in CHROMIUM_PATH.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project (content and seeds) into `target`, with the repository's templates."""
    shutil.copytree(source / "content", target / "content")
    shutil.copytree(source / "seeds", target / "seeds")
    shutil.copytree(REPO / "templates", target / "templates")
    return target


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/mini: two devices, one source, every page kind."""
    return copy_project(MINI, tmp_path / "mini")


@pytest.fixture
def real_project(tmp_path: Path) -> Path:
    """A writable copy of the real content, seeds and templates."""
    return copy_project(REPO, tmp_path / "real")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per test session into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "_site"
    build_project(REPO, out)
    return out
