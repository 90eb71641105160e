"""Publishing a build: byte-for-byte reproducible, and all or nothing even when it fails or is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from typing import TextIO
from pathlib import Path

import jinja2
import pytest

from conftest import Forked, MINI, copy_project
from factsheet import write
from factsheet.pipeline import build_project, render_project
from factsheet.problems import ContentError

REPO = Path(__file__).resolve().parents[1]
BASE = "https://owner.github.io/some-repo/"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under `folder` (relative path → bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Return the names of staging or old folders a build left beside `out`."""
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*"))


def run_build(project: Path, out: Path, env: dict[str, str], prelude: str = "") -> subprocess.Popen:
    """Start a clean build in a fresh interpreter; `prelude` is test code run before it."""
    script = textwrap.dedent(prelude) + textwrap.dedent(f"""
        from pathlib import Path
        from factsheet.pipeline import build_project, render_project
        build_project(Path({str(project)!r}), Path({str(out)!r}), strict=True, base_url={BASE!r})
        print("done", flush=True)
    """)
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=project,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO / "site_src"), **env},
    )


# --- reproducible -----------------------------------------------------------------------------


@pytest.mark.parametrize("source", [MINI, REPO], ids=["mini", "real site"])
def test_two_clean_builds_give_byte_identical_trees(source: Path, tmp_path: Path):
    project = copy_project(source, tmp_path / "project")
    # Different hash seeds, time zones, SOURCE_DATE_EPOCH and output folders: none may show in the output.
    outs = [tmp_path / "first" / "_site", tmp_path / "second" / "elsewhere"]
    envs = [
        {"PYTHONHASHSEED": "1", "TZ": "UTC", "SOURCE_DATE_EPOCH": "0"},
        {"PYTHONHASHSEED": "2", "TZ": "Asia/Shanghai", "SOURCE_DATE_EPOCH": "2000000000"},
    ]
    for out, env in zip(outs, envs, strict=True):
        build = run_build(project, out, env)
        stdout, stderr = build.communicate(timeout=120)
        assert build.returncode == 0, stderr
    first, second = snapshot(outs[0]), snapshot(outs[1])
    assert sorted(first) == sorted(second)
    assert {"index.html", "sitemap.xml", "feed.xml", "robots.txt", "facts.json"} <= set(first)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


# --- a build that fails late leaves the previous site alone -------------------------------------


def break_template(project: Path) -> None:
    # robots.txt is among the last pages rendered: every page before it rendered fine.
    (project / "templates" / "robots.txt").write_text("{{ no_such_variable }}\n")


def fail_while_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    written = []
    real = write.write_file

    def write_some(path: str, data: bytes) -> None:
        if len(written) == 5:
            raise OSError(28, "No space left on device")
        written.append(path)
        real(path, data)

    monkeypatch.setattr(write, "write_file", write_some)


def fail_in_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    real = write.write_site

    def broken_finish(files, out, finish=None):
        def finish_then_fail(staging: Path) -> None:
            if finish:
                finish(staging)
            raise RuntimeError("indexer crashed")

        return real(files, out, finish_then_fail)

    monkeypatch.setattr("factsheet.pipeline.write_site", broken_finish)


@pytest.mark.parametrize(
    "breakage, error",
    [
        # a template error on a late page (reported as a located ContentError where render does so)
        (lambda project, mp: break_template(project), (ContentError, jinja2.UndefinedError)),
        # the disk fills up halfway through writing
        (lambda project, mp: fail_while_writing(mp), OSError),
        # the step after writing (the search index) fails
        (lambda project, mp: fail_in_finish(mp), RuntimeError),
    ],
)
def test_failed_build_leaves_previous_site_byte_for_byte(
    mini_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breakage, error
):
    out = tmp_path / "_site"
    build_project(mini_project, out, base_url=BASE)
    before = snapshot(out)
    (mini_project / "content" / "site.yaml").write_text(
        (mini_project / "content" / "site.yaml").read_text().replace("Mini fact sheet", "Changed fact sheet")
    )
    breakage(mini_project, monkeypatch)
    with pytest.raises(error):
        build_project(mini_project, out, base_url=BASE)
    monkeypatch.undo()
    assert snapshot(out) == before
    assert leftovers(out) == []


# --- a build killed midway leaves the old or the new site, never half of one -------------------

# Test code for the child build: pause (for the kill) at a chosen moment of writing (see fork_build).
PAUSE_AT_FILE = """
    import sys, time
    from factsheet import write
    real = write.write_file
    count = 0
    def slow_write(path, data):
        global count
        count += 1
        if count == {n}:
            print("paused", flush=True)
            time.sleep(600)
        real(path, data)
    write.write_file = slow_write
"""
PAUSE_AFTER_RENAME = """
    import os, time
    from factsheet import write
    real = os.rename
    calls = 0
    def rename_then_pause(src, dst):
        global calls
        calls += 1
        real(src, dst)
        if calls == {n}:
            print("paused", flush=True)
            time.sleep(600)
    write.os.rename = rename_then_pause
"""


def fork_build(project: Path, out: Path, prelude: str) -> tuple[Forked, TextIO]:
    """Start a clean build in a forked child of this process (see Forked), `prelude` (test code) run first
    in it; return the child and what it prints, to read line by line. A build killed there is a build
    killed at that point."""
    read, written = os.pipe()

    def build() -> None:
        os.close(read)
        exec(textwrap.dedent(prelude), {})
        build_project(project, out, strict=True, base_url=BASE)
        print("done", flush=True)

    child = Forked(build, written)
    os.close(written)
    return child, open(read)


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, int]:
    """Return a project, its site built before an edit, its site after the edit, and the number of files rendered."""
    root = tmp_path_factory.mktemp("killed")
    project = copy_project(MINI, root / "project")
    build_project(project, root / "old", strict=True, base_url=BASE)
    site_yaml = project / "content" / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("Mini fact sheet", "Changed fact sheet"))
    build_project(project, root / "new", strict=True, base_url=BASE)
    return project, root / "old", root / "new", len(render_project(project, True, BASE)[0])


@pytest.mark.parametrize(
    "prelude, at, expected",
    [
        # killed while writing the first, a middle and the last page: the old site stays
        (PAUSE_AT_FILE, 1, "old"),
        (PAUSE_AT_FILE, 8, "old"),
        (PAUSE_AT_FILE, "last", "old"),
        # killed between moving the old site aside and moving the new one in: recover() restores the old
        (PAUSE_AFTER_RENAME, 1, "old"),
        # killed after the swap, while the old site is being deleted: the new one is in place
        (PAUSE_AFTER_RENAME, 2, "new"),
    ],
    ids=["first-file", "middle-file", "last-file", "between-renames", "after-swap"],
)
def test_killed_build_leaves_old_or_new_complete_site(old_and_new, tmp_path: Path, prelude: str, at, expected: str):
    project, old_site, new_site, rendered = old_and_new
    out = tmp_path / "_site"
    shutil.copytree(old_site, out)
    old, new = snapshot(old_site), snapshot(new_site)
    assert old != new

    child, said = fork_build(project, out, prelude.format(n=rendered if at == "last" else at))
    try:
        assert said.readline().strip() == "paused", "the build ended before it paused (its traceback is in the output above)"
        child.kill()
    finally:
        status = child.wait()
        said.close()
    assert status == -signal.SIGKILL

    with write.output_lock(out.resolve()):  # what the next build does first
        write.recover(out.resolve())
    assert snapshot(out) == {"old": old, "new": new}[expected]
    assert leftovers(out) == []
