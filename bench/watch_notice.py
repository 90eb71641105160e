"""How soon serve's watcher reports a save, and what it costs while nothing changes.

    .venv/bin/python bench/watch_notice.py [--saves 20] [--settle MS]

Runs `serve.watch` on a temporary folder (with --settle, another SETTLE_MS than serve's), then
measures the CPU time (user + system) of this process over 2 idle seconds, and the time from
each of SAVES saves of one file to the watcher's report of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site_src"))

import factsheet.serve as serve  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--settle", type=int, help="milliseconds (default: serve.SETTLE_MS)")
    args = parser.parse_args()
    if args.settle:
        serve.SETTLE_MS = args.settle
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "content").mkdir()
        file = project / "content" / "site.yaml"
        file.write_text("title: x\n")
        reports: list[float] = []
        stop, ready = threading.Event(), threading.Event()
        watcher = threading.Thread(target=serve.watch, args=(project, lambda paths: reports.append(time.perf_counter()), stop, ready))
        watcher.start()
        try:
            ready.wait(5)
            time.sleep(0.5)
            started = time.process_time()
            time.sleep(2)
            idle = (time.process_time() - started) / 2
            delays = []
            for save in range(args.saves):
                seen = len(reports)
                file.write_text(f"title: save {save}\n")
                saved = time.perf_counter()
                while len(reports) == seen:
                    time.sleep(0.0005)
                delays.append(reports[-1] - saved)
                time.sleep(0.1)
        finally:
            stop.set()
            watcher.join()
    print(
        f"SETTLE_MS {serve.SETTLE_MS}: idle {idle * 1000:.1f} ms of CPU per second; a save reported after "
        f"median {statistics.median(delays) * 1000:.1f} ms (min {min(delays) * 1000:.1f}, max {max(delays) * 1000:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
