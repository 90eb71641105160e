"""Save-to-served latency of `build.py serve`, on the real site or another project.

    .venv/bin/python bench/serve_latency.py [--runs 9] [--project bench/out/corpus-1000] [--edit name|fact]

Starts the preview on a copy of the project, then, run after run, saves one device file
(the real site's xiaomi-12s-ultra.yaml; else the middle one) with a new name (or, with
--edit fact, its first fact's text changed) and polls that device's page every few
milliseconds until the edit is served. Reports the median, min and max of the time from the
end of the save to the first response that carries it, and the CPU time (user + system) the
server spent meanwhile: on a busy machine the wall time is mostly waiting for a core, the
CPU time is not (it includes answering the polls, a few ms).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEVICE = "content/devices/xiaomi-12s-ultra.yaml"


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) process `pid` has used so far (Linux: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FACT_TEXT = re.compile(r'^(\s+text: (?:>-\n\s+|"))', re.MULTILINE)  # the start of the first fact's text


def edited(original: str, line: str, marker: str, edit: str) -> str:
    """Return the device file with its name (edit "name") or its first fact's text (edit "fact") carrying `marker`."""
    if edit == "name":
        return original.replace(line, f"name: {json.dumps(marker)}", 1)
    return FACT_TEXT.sub(lambda m: m.group(1) + marker + " ", original, count=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--edit", choices=("name", "fact"), default="name", help="what each run changes in the device file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for name in ("content", "seeds", "templates"):
            shutil.copytree(args.project / name, project / name)
        devices = sorted((project / "content" / "devices").glob("*.yaml"))
        device = project / DEVICE if (project / DEVICE).exists() else devices[len(devices) // 2]
        line = re.search(r"^name: (.+)$", device.read_text(encoding="utf-8"), re.MULTILINE).group(0)
        name = yaml.safe_load(line)["name"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}/devices/{device.stem}/"
        log = project / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, str(REPO / "build.py"), "serve", "--project", str(project), "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            while name not in fetch(url):
                if server.poll() is not None:
                    sys.exit(f"the server stopped:\n{log.read_text()}")
                time.sleep(0.05)
            file = device
            original = file.read_text(encoding="utf-8")
            timings, cpu = [], []
            for run in range(args.runs):
                marker = f"{name} run{run}x"
                used = cpu_seconds(server.pid)
                file.write_text(edited(original, line, marker, args.edit), encoding="utf-8")
                saved = time.perf_counter()
                while marker not in fetch(url):
                    if time.perf_counter() - saved > 120:
                        sys.exit(f"the edit was not served within 2 minutes:\n{log.read_text()}")
                    time.sleep(0.005)
                timings.append(time.perf_counter() - saved)
                cpu.append(cpu_seconds(server.pid) - used)
                print(f"run {run}: {timings[-1] * 1000:.0f} ms, server CPU {cpu[-1] * 1000:.0f} ms", flush=True)
                time.sleep(0.5)  # let the build finish before the next save
        finally:
            server.terminate()
            server.wait(timeout=120)  # on a busy machine a rebuild may still be finishing
            # The server's own account of each rebuild: "built N pages in X s (K changed)".
            print("".join(line for line in log.read_text().splitlines(keepends=True) if line.startswith("built")), end="")
    print(
        f"save-to-served, {args.runs} runs: median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
    )
    print("runs (ms):", " ".join(f"{t * 1000:.0f}" for t in timings))
    print(
        f"server CPU from save to served: median {statistics.median(cpu) * 1000:.0f} ms, runs (ms):",
        " ".join(f"{t * 1000:.0f}" for t in cpu),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
