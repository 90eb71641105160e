"""Faults: a build killed at any moment, a full disk or a read-only folder never loses the last good site.

A failed write ends with one line naming the folder and exit status 1, never a traceback.
Kills are injected at each step of the write (while writing pages, while indexing, between
the two renames of the swap, while deleting the old site) in a child process that SIGKILLs
itself there, so the test is exact and does not depend on timing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from conftest import MINI, copy_project, run_in_a_fork
from factsheet import cli, pipeline, write
from factsheet.pipeline import build_project
from factsheet.write import recover


def kill_on_nth(original, nth: int):
    """Wrap `original` so that its `nth` call kills the process instead (SIGKILL: no clean-up runs)."""
    calls = [0]

    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    return wrapped


def build_killed_at(project: Path, out: Path, step: str, nth: int) -> None:
    """Build `project` into `out`, killed at the `nth` call of `step` (run in a child: see run_in_a_fork)."""
    if step == "write":
        write.write_file = kill_on_nth(write.write_file, nth)
    elif step == "index":
        pipeline.index_site = kill_on_nth(pipeline.index_site, nth)
    elif step == "rename":
        os.rename = kill_on_nth(os.rename, nth)
    elif step == "rmtree":
        shutil.rmtree = kill_on_nth(shutil.rmtree, nth)
    pipeline.build_project(project, out)


def tree(folder: Path) -> dict[str, str]:
    """Return every file under `folder` with a digest of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def retitle(project: Path, title: str) -> None:
    site = project / "content/site.yaml"
    site.write_text(site.read_text().replace("title: Mini fact sheet", f"title: {title}"))


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A mini project whose content is the 'new' one, and the trees of the old and the new site."""
    root = tmp_path_factory.mktemp("faults")
    project = copy_project(MINI, root / "mini")
    build_project(project, root / "old")
    retitle(project, "New title")
    build_project(project, root / "new")
    old, new = tree(root / "old"), tree(root / "new")
    assert old != new
    return project, old, new


@pytest.fixture
def last_good(sites, tmp_path: Path) -> Path:
    """An output folder holding the old site, alone in its parent."""
    project, old, _ = sites
    out = tmp_path / "public" / "site"
    out.parent.mkdir()
    shutil.copytree(project.parent / "old", out)
    assert tree(out) == old
    return out


@pytest.mark.parametrize(
    "step, nth",
    [
        ("write", 1),  # the first page of the new site
        ("write", 8),  # half-way through the pages
        ("index", 1),  # all pages written, search index being built
        ("rename", 1),  # about to move the old site aside
        ("rename", 2),  # old site moved aside, new one not yet in place
        ("rmtree", 1),  # new site in place, old one being deleted
    ],
)
def test_a_build_killed_at_any_step_leaves_the_old_or_the_new_site_whole(sites, last_good: Path, step: str, nth: int) -> None:
    project, old, new = sites
    assert run_in_a_fork(lambda: build_killed_at(project, last_good, step, nth)) == -signal.SIGKILL
    recover(last_good)  # what the next build does first
    assert tree(last_good) in (old, new)
    build_project(project, last_good)
    assert tree(last_good) == new
    assert os.listdir(last_good.parent) == ["site"], "leftovers beside the site"


def failing(original, code: int, on_call: int = 1):
    """Wrap `original` so that its `on_call`-th call raises OSError(code)."""
    calls = [0]

    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == on_call:
            raise OSError(code, os.strerror(code), str(args[0]) if args else None)
        return original(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize(
    "target, name, code, on_call",
    [
        # disk full while writing pages
        (write, "write_file", errno.ENOSPC, 1),
        (write, "write_file", errno.ENOSPC, 5),
        # read-only: the staging folder cannot be made, or the swap cannot happen
        (tempfile, "mkdtemp", errno.EROFS, 1),
        (Path, "mkdir", errno.EROFS, 1),
        (os, "rename", errno.EROFS, 1),
        (os, "rename", errno.EROFS, 2),
        (os, "chmod", errno.EPERM, 1),
    ],
)
def test_a_failed_write_says_so_in_one_line_and_keeps_the_last_good_site(
    sites, last_good: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, target, name: str, code: int, on_call: int
) -> None:
    project, old, _ = sites
    monkeypatch.setattr(target, name, failing(getattr(target, name), code, on_call))
    # Without the build cache: its own folder would take the failing call (its faults: test_build_cache.py).
    status = cli.main(["build", "--out", str(last_good), "--no-cache"], project=project)
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert status == 1
    assert err.splitlines() == [f"error: cannot write the site into {last_good}: " + err.split(": ", 2)[2].rstrip()]
    assert os.strerror(code) in err and "the last good site is left as it was" in err
    assert tree(last_good) == old
    assert os.listdir(last_good.parent) == ["site"], "leftovers beside the site"


@pytest.mark.parametrize(
    "out, message",
    [
        ("blocker/site", "cannot write the site into {root}/blocker/site: File exists ({root}/blocker)"),
        ("blocker", "refusing to replace {root}/blocker: it is a file, not a folder"),
        ("notes", "refusing to replace {root}/notes: it holds files but no .factsheet-site, so it is no site built here"),
        (".", "refusing to write the site into {root}: it would replace the project's own files"),
        ("content", "refusing to write the site into {root}/content: it would replace the project's own files"),
        ("seeds/x", "refusing to write the site into {root}/seeds/x: it would replace the project's own files"),
        ("..", "refusing to write the site into {parent}: it would replace the project's own files"),
    ],
)
def test_an_unusable_output_folder_is_refused_in_one_line_without_a_traceback(
    mini_project: Path, monkeypatch: pytest.MonkeyPatch, capsys, out: str, message: str
) -> None:
    root = mini_project
    (root / "blocker").write_text("a file where a folder should be\n")
    (root / "notes").mkdir()
    (root / "notes" / "keep.txt").write_text("mine\n")
    before = tree(root)
    monkeypatch.chdir(root)  # --out is relative to where the command runs, as `python build.py` in the project
    status = cli.main(["build", "--out", out], project=root)
    stderr = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: " + message.format(root=root.resolve(), parent=root.parent.resolve())), stderr
    assert tree(root) == before


def test_a_failing_search_indexer_is_one_clear_line_and_the_old_site_stays(mini_project, monkeypatch, capsys) -> None:
    from factsheet import cli, search

    out = mini_project / "_site"
    assert cli.main(["build", "--out", str(out)], project=mini_project) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(search, "get_executable", lambda: "/bin/false")
    capsys.readouterr()
    assert cli.main(["build", "--out", str(out), "--no-cache"], project=mini_project) == 1  # the cache would skip the indexer
    err = capsys.readouterr().err
    assert "the search indexer (Pagefind) failed with exit status 1" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
