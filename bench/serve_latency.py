"""Save-to-served latency of `build.py serve`, on the real site or another project.

    .venv/bin/python bench/serve_latency.py [--runs 9] [--project bench/out/corpus-1000] [--edit name|fact] [--poll]

Starts the preview on a copy of the project, then, run after run, saves one device file
(the real site's xiaomi-12s-ultra.yaml; else the middle one) with a new name (or, with
--edit fact, its first fact's text changed) and waits as a browser showing that device's page
does: its reload socket (the LiveReload protocol livereload.js speaks) says "reload", then the
page is requested again. The time of a run is from the end of the save to the end of the first
response that carries the edit: what a reader sees. With --poll, the page is requested every
5 ms instead, without the socket (the polls cost the server ~1 ms of CPU each and slow its
rebuild; a browser does not poll). Reports the median, min and max of those times, when the
reload notice arrived, the CPU time the server's threads spent from the save to the served edit,
and the time they spent meanwhile ready to run but waiting for a core: on a busy machine the wall
time is mostly that wait, the CPU time is not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parents[1]
DEVICE = "content/devices/xiaomi-12s-ultra.yaml"
PROTOCOL = "http://livereload.com/protocols/official-7"


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def scheduled(pid: int) -> tuple[float, float]:
    """Return the seconds process `pid`'s threads have spent on a core and waiting for one so far
    (Linux: /proc/PID/task/*/schedstat, in nanoseconds; /proc/PID/stat counts in 10 ms ticks)."""
    running = waiting = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:  # a thread that ended meanwhile
            continue
        running, waiting = running + int(fields[0]), waiting + int(fields[1])
    return running / 1e9, waiting / 1e9


FACT_TEXT = re.compile(r'^(\s+text: (?:>-\n\s+|"))', re.MULTILINE)  # the start of the first fact's text


def edited(original: str, line: str, marker: str, edit: str) -> str:
    """Return the device file with its name (edit "name") or its first fact's text (edit "fact") carrying `marker`."""
    if edit == "name":
        return original.replace(line, f"name: {json.dumps(marker)}", 1)
    return FACT_TEXT.sub(lambda m: m.group(1) + marker + " ", original, count=1)


async def reload_socket(port: int):
    """Return the reload socket of a page of the preview, after the handshake livereload.js makes."""
    origin = f"http://127.0.0.1:{port}"
    connection = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers={"Origin": origin}))
    await connection.write_message(json.dumps({"command": "hello", "protocols": [PROTOCOL]}))
    await connection.read_message()
    await connection.write_message(json.dumps({"command": "info", "url": origin + "/", "plugins": {}}))
    return connection


async def served_after_reload(connection, url: str, marker: str, saved: float) -> float:
    """Wait for reload notices and fetch the page after each, as the browser does, until it carries
    `marker`; return when the first notice came (seconds after `saved`)."""
    notice = None
    while True:
        message = await asyncio.wait_for(connection.read_message(), 120)
        if message is None:
            sys.exit("the server closed the reload socket")
        if json.loads(message).get("command") != "reload":
            continue
        notice = notice or time.perf_counter() - saved
        if marker in fetch(url):
            return notice


def served_by_polling(url: str, marker: str, saved: float) -> float:
    while marker not in fetch(url):
        if time.perf_counter() - saved > 120:
            sys.exit("the edit was not served within 2 minutes")
        time.sleep(0.005)
    return float("nan")


async def measure(args: argparse.Namespace, server: subprocess.Popen, port: int, file: Path, line: str, name: str, url: str):
    connection = None if args.poll else await reload_socket(port)
    original = file.read_text(encoding="utf-8")
    timings, notices, cpu, queued = [], [], [], []
    for run in range(args.runs):
        marker = f"{name} run{run}x"
        used, waited = scheduled(server.pid)
        file.write_text(edited(original, line, marker, args.edit), encoding="utf-8")
        saved = time.perf_counter()
        if connection is None:
            notices.append(served_by_polling(url, marker, saved))
        else:
            notices.append(await served_after_reload(connection, url, marker, saved))
        timings.append(time.perf_counter() - saved)
        now = scheduled(server.pid)
        cpu.append(now[0] - used)
        queued.append(now[1] - waited)
        notice = "" if connection is None else f" (reload notice after {notices[-1] * 1000:.0f} ms)"
        print(
            f"run {run}: {timings[-1] * 1000:.0f} ms{notice}, server CPU {cpu[-1] * 1000:.0f} ms, waiting for a core {queued[-1] * 1000:.0f} ms",
            flush=True,
        )
        await asyncio.sleep(0.5)  # let the server settle before the next save
    if connection is not None:
        connection.close()
    return timings, notices, cpu, queued


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--edit", choices=("name", "fact"), default="name", help="what each run changes in the device file")
    parser.add_argument("--poll", action="store_true", help="poll the page every 5 ms instead of waiting for the reload notice")
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
            timings, notices, cpu, queued = asyncio.run(measure(args, server, port, device, line, name, url))
        finally:
            server.terminate()
            server.wait(timeout=120)  # on a busy machine a rebuild may still be finishing
            # The server's own account of each rebuild: "built N pages in X s (K changed)".
            print("".join(line for line in log.read_text().splitlines(keepends=True) if line.startswith("built")), end="")
    how = "polled every 5 ms" if args.poll else "fetched on the reload notice"
    print(
        f"save-to-served ({how}), {args.runs} runs: median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
    )
    print("runs (ms):", " ".join(f"{t * 1000:.0f}" for t in timings))
    if not args.poll:
        print(f"reload notice: median {statistics.median(notices) * 1000:.0f} ms after the save")
    print(
        f"server CPU from save to served: median {statistics.median(cpu) * 1000:.0f} ms, runs (ms):",
        " ".join(f"{t * 1000:.0f}" for t in cpu),
    )
    print(
        f"server threads waiting for a core meanwhile: median {statistics.median(queued) * 1000:.0f} ms, runs (ms):",
        " ".join(f"{t * 1000:.0f}" for t in queued),
    )
    # Roughly what the same machine with a core free would show (the client's own wait is left in).
    unqueued = [t - q for t, q in zip(timings, queued, strict=True)]
    print(
        f"save-to-served less that wait: median {statistics.median(unqueued) * 1000:.0f} ms, runs (ms):",
        " ".join(f"{t * 1000:.0f}" for t in unqueued),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
