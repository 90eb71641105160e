"""Time the rebuild `serve` does after an editor saves one device file.

    python bench/incremental.py PROJECT OUT [EDITS]

Builds PROJECT once (as serve does at start), then edits one fact's text in a device file
several times; each time it times the incremental rebuild plus writing the files that
changed, as serve would: wall time, and this process's CPU time (user + system), the steadier
measure on a busy machine. Writes the times as JSON to OUT/.bench-incremental.json and prints
them. The edit is undone at the end.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site_src"))

from factsheet.incremental import rebuild  # noqa: E402
from factsheet.pipeline import collector_paused  # noqa: E402
from factsheet.write import update_site  # noqa: E402

EDITS = 7


def main(project: Path, out: Path, edits: int = EDITS) -> int:
    shutil.rmtree(out, ignore_errors=True)
    with collector_paused(keep=True):
        state = rebuild(project, None)
    update_site(out, state.changed, [])
    devices = sorted((project / "content" / "devices").glob("*.yaml"))
    device = devices[len(devices) // 2]
    original = device.read_text("utf-8")
    times, cpu, rewritten = [], [], []
    try:
        for edit in range(edits):
            marker = "fact 3: the"
            device.write_text(original.replace(marker, f"fact 3 (edit {edit}): the", 1), "utf-8")
            started, used = time.perf_counter(), _cpu()
            with collector_paused(keep=True):  # as serve rebuilds
                state = rebuild(project, state, [device], complete=True)  # serve's watcher names every change
            update_site(out, state.changed, state.removed)
            times.append(time.perf_counter() - started)
            cpu.append(_cpu() - used)
            rewritten.append(len(state.changed) + len(state.removed))
    finally:
        device.write_text(original, "utf-8")
    result = {
        "times": times,
        "median": statistics.median(times),
        "cpu": cpu,
        "median_cpu": statistics.median(cpu),
        "rewritten": max(rewritten),
        "device": device.name,
    }
    (out / ".bench-incremental.json").write_text(json.dumps(result))
    print(json.dumps(result))
    return 0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), *map(int, sys.argv[3:4])))
