"""Shared fixtures: the repository, a copy of the tiny fixture project, built sites, and one browser per worker."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from factsheet.pipeline import build_project

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"
# The browser the browser tests drive: Debian's chromium by default; a machine whose browser
# lives elsewhere (a GitHub runner's Chrome) names it in CHROMIUM_PATH.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"  # the Nu Html Checker


# The files that hold a worker longest, most of it waiting (on Chromium, on a preview's watcher): started
# first, so that the others fill the cores around them, rather than last (pytest-xdist starts the files
# with the most tests first, and these have few), when one of them would end the run alone.
START_FIRST = ("test_browser.py", "test_serve_round2.py", "test_hostile_browser.py", "test_pictures.py", "test_serve.py")


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # before pytest-xdist's own
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With --dist loadfile: the files of START_FIRST first, then the others as pytest-xdist orders them."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node) -> None:
            def rank(file: str) -> int:
                name = file.rpartition("/")[2]
                return START_FIRST.index(name) if name in START_FIRST else len(START_FIRST)

            self.workqueue.move_to_end(min(self.workqueue, key=rank), last=False)  # min: the first of equal rank
            super()._assign_work_unit(node)  # which takes the first file of the queue

    return LongestFirst(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the tests marked slow to the long run (`make fuzz`, weekly: HYPOTHESIS_PROFILE=long)."""
    if os.environ.get("HYPOTHESIS_PROFILE") == "long":
        return
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="slow: `make fuzz` runs it (weekly in CI)"))


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project (content and seeds) into `target`, with the repository's templates."""
    shutil.copytree(source / "content", target / "content")
    shutil.copytree(source / "seeds", target / "seeds")
    shutil.copytree(REPO / "templates", target / "templates")
    return target


def same_place(factory: pytest.TempPathFactory, name: str) -> Path:
    """Return an empty folder at the same path for every test of this worker that asks for `name`.

    Jinja's compiled-template cache (render.py) is keyed by each template's path: a project copied
    to the same place as the last test's finds its templates compiled already, where a new path
    costs compiling them all again (more than the rest of a small build)."""
    folder = factory.getbasetemp() / f"same-{name}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return folder


class Forked:
    """`work` run in a forked child of this process, its standard output and errors written to the file
    descriptors `stdout` and `stderr` (None: this process's own): a process of its own, with its own id,
    started, stopped and killed as a new interpreter would be, with the generator imported already, where a
    new interpreter spends 0.9 s of CPU importing it. The child ends with what `work` returns (None: 0), 1 if
    it raised (its traceback printed). `returncode` is Popen's: -9 for a child killed by SIGKILL."""

    def __init__(self, work: Callable[[], int | None], stdout: int | None = None, stderr: int | None = None):
        self.returncode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # the child never returns into pytest
            status = 1
            try:
                for descriptor, standard in ((stdout, 1), (stderr, 2)):
                    if descriptor is not None:
                        os.dup2(descriptor, standard)
                sys.stdout, sys.stderr = open(1, "w", closefd=False), open(2, "w", closefd=False)
                status = work() or 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end (at most `timeout` seconds: the test fails after) and return how it ended."""
        if timeout is None and self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        deadline = time.monotonic() + (timeout or 0)
        while self.poll() is None:
            assert time.monotonic() < deadline, f"process {self.pid} still runs after {timeout} s"
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


def run_in_a_fork(work: Callable[[], object]) -> int:
    """Run `work` in a forked child of this process (see Forked); return how the child ended (-9: killed
    by SIGKILL). A build that kills itself there is a build killed at that point."""

    def run() -> None:
        work()

    return Forked(run).wait()


@pytest.fixture
def mini_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of tests/fixtures/mini: two devices, one source, every page kind (alone in its folder)."""
    return copy_project(MINI, same_place(tmp_path_factory, "mini") / "mini")


@pytest.fixture
def real_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the real content, seeds and templates (alone in its folder)."""
    return copy_project(REPO, same_place(tmp_path_factory, "real") / "real")


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """Return a folder `make` filled, made once for the whole run: with pytest-xdist, the first worker that
    asks makes it in the folder the workers share, under a lock, and the others wait for it and read it
    (a build of the real site costs 3 s of CPU, which each worker spent again). For folders tests only read."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        folder = factory.mktemp(name)
        make(folder)
        return folder
    folder = factory.getbasetemp().parent / name  # this run's folder, above each worker's own
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed making it left
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per test run into a temporary folder."""
    return made_once(tmp_path_factory, "site", lambda folder: build_project(REPO, folder / "_site")) / "_site"


@pytest.fixture(scope="session")
def tagged_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site built from its content with the `partnership` values proposed for it (test_pictures.py)."""
    from test_pictures import PROPOSED, tag_history

    def make(folder: Path) -> None:
        project = copy_project(REPO, folder / "project")
        tag_history(project, PROPOSED)
        build_project(project, folder / "_site", search=False)

    return made_once(tmp_path_factory, "tagged", make) / "_site"


def html_pages(site: Path) -> list[Path]:
    """Return every HTML page of a built site, leaving out the search bundle's own files."""
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


@pytest.fixture(scope="session")
def nu_errors(built_site: Path, tagged_site: Path) -> dict[Path, list[str]]:
    """Run the Nu Html Checker once over every page of the real site and the tagged site's two pages with
    pictures (starting its JVM costs more than checking them all); return each page's errors, 'line: message'.

    Its tests are in test_quality.py: a test file runs on one worker (pytest's --dist loadfile), so this runs once."""
    java = shutil.which("java")
    require(java is not None, "java is not installed (scripts/system-deps.sh installs default-jre-headless)")
    require(VNU.is_file(), "vnu-jar is not installed (npm ci --ignore-scripts)")
    pages = html_pages(built_site) + [tagged_site / "index.html", tagged_site / "history" / "index.html"]
    # For one short run the JVM's quick compiler alone costs a third of the CPU of both (with the larger
    # stack the checker then needs); the language guess only ever warns, and warnings are not asked for.
    result = subprocess.run(
        [
            java,
            "-Xss4m",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            str(VNU),
            "--errors-only",
            "--no-langdetect",
            "--format",
            "json",
            "--exit-zero-always",
        ]
        + [str(page) for page in pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"the checker itself failed: {result.stdout}{result.stderr[-2000:]}"  # it exits 0 whatever it finds
    found: dict[Path, list[str]] = {page: [] for page in pages}
    for m in json.loads(result.stderr or '{"messages": []}')["messages"]:
        if m.get("type") == "error" or m.get("subType") == "fatal":
            found.setdefault(Path(unquote(urlsplit(m.get("url", "")).path)), []).append(f"{m.get('lastLine', '?')}: {m['message']}")
    assert set(found) == set(pages), f"errors of files that were not checked: {sorted(set(found) - set(pages))}"
    return found


def require(ok: bool, why: str) -> None:
    """Skip when a checker or the browser is missing on a developer machine; under CI that is a failure."""
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{why} (CI must have it: run `make test`, which installs it)")
        pytest.skip(why)


# One Chromium per worker for every browser test: launching one costs more than a dozen page
# loads. Playwright's sync API allows one running instance per thread, so it is this one.
@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (requirements-test.txt)")
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (scripts/system-deps.sh installs it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_in(browser):
    """Return a factory of fresh pages with the given viewport, colour scheme and JavaScript setting."""
    contexts = []

    def make(width: int = 1280, scheme: str = "light", javascript: bool = True):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=javascript)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


# The previews of the tests that only read: each is a `build.py serve` process that builds the site before it answers.
@pytest.fixture(scope="session")
def shared_preview(tmp_path_factory: pytest.TempPathFactory):
    """One preview of the mini project for every test that only reads from it."""
    from test_serve import start, stop

    folder = tmp_path_factory.mktemp("shared")
    running = start(copy_project(MINI, folder / "mini"), folder / "serve.log")
    yield running
    stop(running)


@pytest.fixture(scope="session")
def preview_on(tmp_path_factory: pytest.TempPathFactory):
    """Return the preview of the mini project started with `--host HOST` (None: without), one per host, for tests that only read."""
    from test_serve import start, stop

    running = {}

    def on(host: str | None):
        if host not in running:
            folder = tmp_path_factory.mktemp("host")
            running[host] = start(copy_project(MINI, folder / "mini"), folder / "serve.log", *(("--host", host) if host else ()))
        return running[host]

    yield on
    for preview in running.values():
        stop(preview)
