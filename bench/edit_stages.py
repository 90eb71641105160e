"""Where the CPU time of one rebuild after a one-fact edit goes, stage by stage.

    python bench/edit_stages.py PROJECT [EDITS] [--rename | --event] [--profile FILE]

Builds PROJECT once as `serve` does, then edits one fact's text in the middle device file
EDITS times (default 3; with --rename, the device's name instead; with --event, the first
event's title in history.yaml); after each rebuild prints its CPU time (this process, user + system),
its wall time and the CPU time of each stage. With --profile, the first rebuild after an edit
runs under cProfile and its statistics are written to FILE (read them with pstats). The edit
is undone at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import inspect
import json
import re
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site_src"))

import factsheet.incremental as incremental  # noqa: E402
import factsheet.pipeline as pipeline  # noqa: E402

STAGES = {pipeline: ("load_tree", "validate_content", "verify_content", "plan_site"), incremental: ("table_changes", "render_files")}


def timed(name: str, function, spent: dict[str, float]):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            result = function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - started
        return _timed_items(name, result, spent) if inspect.isgenerator(result) else result

    return wrapper


def _timed_items(name: str, items, spent: dict[str, float]):
    """Yield a generator's items, adding the time spent making each to `name` (render yields its files as it makes them)."""
    while True:
        started = time.process_time()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - started
        yield item


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("edits", type=int, nargs="?", default=3)
    parser.add_argument("--rename", action="store_true", help="rename the device instead of editing a fact")
    parser.add_argument("--event", action="store_true", help="edit the first event's title in history.yaml instead")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    spent: dict[str, float] = {}
    for module, names in STAGES.items():
        for name in names:
            setattr(module, name, timed(name, getattr(module, name), spent))
    state = incremental.rebuild(args.project, None)
    devices = sorted((args.project / "content" / "devices").glob("*.yaml"))
    device = args.project / "content" / "history.yaml" if args.event else devices[len(devices) // 2]
    original = device.read_text("utf-8")
    try:
        for edit in range(args.edits):
            if args.event:
                edited = re.sub(r'^(\s+title: "?)', rf"\g<1>(edit {edit}) ", original, count=1, flags=re.MULTILINE)
            elif args.rename:
                line = re.search(r"^name: (.+)$", original, re.MULTILINE).group(0)
                edited = original.replace(line, f"name: {json.dumps(yaml.safe_load(line)['name'] + f' edit{edit}')}", 1)
            else:
                edited = original.replace("fact 3: the", f"fact 3 (edit {edit}): the", 1)
            device.write_text(edited, "utf-8")
            spent.clear()
            profile = cProfile.Profile() if args.profile and edit == 0 else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profile:
                profile.enable()
            with pipeline.collector_paused(keep=True):  # as serve rebuilds
                state = incremental.rebuild(args.project, state, [device], complete=True)
            if profile:
                profile.disable()
                profile.dump_stats(args.profile)
            stages = ", ".join(f"{name} {seconds:.3f}" for name, seconds in spent.items())
            print(
                f"edit {edit}: CPU {time.process_time() - cpu:.3f} s, wall {time.perf_counter() - wall:.3f} s, "
                f"{len(state.rendered)} files rendered; {stages}",
                flush=True,
            )
    finally:
        device.write_text(original, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
