"""Time fresh `build.py build --no-cache` processes of the real site: wall and CPU (user + system,
the build's children included), median of N runs, with site_src compiled (.pyc) or not.

    .venv/bin/python bench/cold_start.py [--runs 5] [--no-search] [--pyc | --no-pyc] [--no-templates] [--tree DIR ...]

With several trees (another commit's, `git archive`), their runs alternate, so a busy machine slows all alike.

By default Jinja's compiled templates (kept in the temporary folder) are there, as after any
earlier build; --no-templates gives each run an empty temporary folder of its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def set_bytecode(tree: Path, compiled: bool) -> None:
    """Compile site_src (as `make build` does) or remove its compiled files."""
    for cache in (tree / "site_src").rglob("__pycache__"):
        shutil.rmtree(cache)
    if compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "site_src")], check=True)


def one_build(tree: Path, out: Path, search: bool, templates: bool = True) -> tuple[float, float, int]:
    """Return one build's wall time, CPU time and peak memory (KiB) from wait4."""
    command = [sys.executable, str(tree / "build.py"), "build", "--no-cache", "--out", str(out)] + ([] if search else ["--no-search"])
    with tempfile.TemporaryDirectory() as empty:
        env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"} | ({} if templates else {"TMPDIR": empty})
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the build failed: {command}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-search", dest="search", action="store_false")
    parser.add_argument("--pyc", dest="pyc", action="store_true", default=None, help="compile site_src first")
    parser.add_argument("--no-pyc", dest="pyc", action="store_false", help="remove site_src's compiled files first")
    parser.add_argument("--no-templates", dest="templates", action="store_false", help="no compiled templates: an empty TMPDIR per run")
    parser.add_argument("--tree", type=Path, action="append", help="a project tree to build (default: this one); repeat to alternate")
    args = parser.parse_args()
    trees = args.tree or [Path(__file__).resolve().parents[1]]
    if args.pyc is not None:
        for tree in trees:
            set_bytecode(tree, args.pyc)
    runs: dict[Path, list[tuple[float, float, int]]] = {tree: [] for tree in trees}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "site"
        for tree in trees:
            one_build(tree, out, args.search)  # fills Jinja's template cache, as any earlier build would have
        for _ in range(args.runs):
            for tree in trees:
                runs[tree].append(one_build(tree, out, args.search, args.templates))
    for tree, measured in runs.items():
        walls, cpus, peaks = zip(*measured, strict=True)
        print(
            f"{tree} search={args.search} pyc={args.pyc} templates={args.templates}: wall {statistics.median(walls):.3f} s "
            f"({min(walls):.3f}-{max(walls):.3f}), CPU {statistics.median(cpus):.3f} s ({min(cpus):.3f}-{max(cpus):.3f}), "
            f"peak {max(peaks) // 1024} MiB"
        )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
