"""Builds at once, and builds that die: real processes, never threads or mocks of the lock.

A build holds a lock on its output folder from recovery to swap: a second build into the same
folder is refused in one line and touches nothing, and the first one's site comes out whole.
The search indexer (Pagefind) dies with the build that started it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from conftest import MINI, Forked, copy_project
from factsheet import cli, search
from factsheet.pipeline import build_project


class Build(Forked):
    """`build.py build` as a user runs it, in a forked child of this process (see Forked), except that
    Pagefind is `indexer`, a stand-in script. A build given one must index: it leaves out the build
    cache, which an earlier build of the project may have filled (a hit writes the kept site and starts
    no indexer). What it prints goes to unnamed files, so nothing is left beside the site."""

    def __init__(self, project: Path, out: Path, indexer: Path | None = None):
        self.output, self.errors = tempfile.TemporaryFile(), tempfile.TemporaryFile()

        def build() -> int:
            options = []
            if indexer is not None:
                search.get_executable = lambda: str(indexer)
                options = ["--no-cache"]
            return cli.main(["build", "--out", str(out), *options], project=project)

        super().__init__(build, self.output.fileno(), self.errors.fileno())

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the build to end; return what it printed (stdout, stderr)."""
        self.wait(timeout)
        said = []
        for file in (self.output, self.errors):
            file.seek(0)
            said.append(file.read().decode("utf-8", "replace"))
            file.close()
        return said[0], said[1]


# Says it started (with its process id, written whole before the file appears), waits for a go-ahead
# file, then runs the real Pagefind.
SLOW_INDEXER = """#!/bin/sh
echo $$ > "{started}.part" && mv "{started}.part" "{started}"
while [ ! -e "{go}" ]; do sleep 0.05; done
exec "{pagefind}" "$@"
"""


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def start_build(project: Path, out: Path, indexer: Path | None = None) -> Build:
    return Build(project, out, indexer)


def wait_for_indexer(started: Path, build: Build) -> int:
    """Wait until the build's stand-in indexer says it started; return its process id.

    No fixed wait: on a loaded machine the build may take long to get there. A build that ends
    first fails the test at once with what it said; the cap only keeps a hung build from hanging the suite."""
    deadline = time.monotonic() + 600
    while not started.exists():
        if build.poll() is not None:
            out, err = build.communicate()
            pytest.fail(f"the build ended (status {build.returncode}) before its indexer started: {out}{err}")
        assert time.monotonic() < deadline, f"{started} never appeared, and the build still runs"
        time.sleep(0.05)
    return int(started.read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of a dead parent is reaped by init; until then it is a zombie, as good as dead.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def slow_indexer(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A Pagefind stand-in that waits for a go-ahead: (script, its 'started' file, the go-ahead file)."""
    from pagefind_bin import get_executable

    started, go = tmp_path / "indexer-started", tmp_path / "indexer-go"
    script = tmp_path / "slow-pagefind"
    script.write_text(SLOW_INDEXER.format(started=started, go=go, pagefind=get_executable()))
    script.chmod(0o755)
    return script, started, go


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The mini project and the tree of its site, built alone."""
    root = tmp_path_factory.mktemp("reference")
    project = copy_project(MINI, root / "mini")
    build_project(project, root / "site")
    return project, tree(root / "site")


def test_a_second_build_while_the_first_indexes_is_refused_in_one_line_and_the_first_site_comes_out_whole(
    reference, slow_indexer, tmp_path: Path
) -> None:
    project, expected = reference
    script, started, go = slow_indexer
    out = tmp_path / "public" / "site"
    first = start_build(project, out, script)
    try:
        wait_for_indexer(started, first)  # the first build's pages are written and its indexer runs
        second = start_build(project, out)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 1
        assert err.splitlines() == [
            f"error: another build (process {first.pid}) is writing into {out}; "
            "wait for it to finish, or build into another folder with --out"
        ]
        assert not out.exists()
    finally:
        go.touch()
        first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert "built" in first_out
    assert tree(out) == expected
    assert os.listdir(out.parent) == ["site"], "leftovers beside the site"


def test_builds_started_together_leave_one_whole_site_and_each_succeeds_or_says_why_not(reference, tmp_path: Path) -> None:
    project, expected = reference
    out = tmp_path / "site"
    builds = [start_build(project, out) for _ in range(4)]
    results = [(build.wait(timeout=300), build.communicate(timeout=300)[1]) for build in builds]
    assert any(status == 0 for status, _ in results), results
    for status, err in results:
        assert status == 0 or (status == 1 and err.startswith("error: another build (process ") and err.count("\n") == 1), err
    assert tree(out) == expected
    assert os.listdir(tmp_path) == ["site"], "leftovers beside the site"


def test_a_lock_file_left_by_a_killed_build_does_not_block_the_next_one(reference, tmp_path: Path) -> None:
    project, expected = reference
    out = tmp_path / "site"
    (tmp_path / ".site.lock").write_text("999999\n")  # nobody holds it: its build was killed
    build_project(project, out)
    assert tree(out) == expected
    assert os.listdir(tmp_path) == ["site"]


def test_a_killed_build_takes_its_search_indexer_with_it(reference, slow_indexer, tmp_path: Path) -> None:
    project, expected = reference
    script, started, go = slow_indexer
    out = tmp_path / "site"
    build = start_build(project, out, script)
    indexer = wait_for_indexer(started, build)
    assert alive(indexer)
    build.kill()
    build.communicate(timeout=60)
    deadline = time.monotonic() + 30  # the kernel kills it with its parent; only a loaded machine delays its end
    while alive(indexer) and time.monotonic() < deadline:
        time.sleep(0.05)
    still = alive(indexer)
    if still:
        os.kill(indexer, signal.SIGKILL)
    assert not still, "the indexer outlived the build that started it"
    build_project(project, out)  # the next build cleans up after the killed one
    assert tree(out) == expected
    assert sorted(os.listdir(tmp_path)) == ["indexer-started", "site", "slow-pagefind"], "leftovers beside the site"
