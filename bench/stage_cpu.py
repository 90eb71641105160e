"""Where a cold build's CPU goes, stage by stage, in one process: each stage called in turn (no
load or render workers, the cycle collector off, as in a build), its CPU time (user + system) printed.

    .venv/bin/python bench/stage_cpu.py PROJECT [--tree DIR] [--out DIR]

With --tree, the stages are those of DIR/site_src (another commit's tree, from `git archive`), to
compare two trees on one corpus; run the two in turn, several times, on a busy machine. The site
is written into a new folder inside --out (default: the temporary folder), deleted afterwards.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve() / "site_src"))
    started = time.process_time()
    import factsheet.load as load
    from factsheet.plan import plan_site
    from factsheet.render import render_files
    from factsheet.validate import validate_content
    from factsheet.verify import verify_content
    from factsheet.write import write_site

    print(f"{'imports':10s} {time.process_time() - started:5.2f} s")
    load.PARALLEL_FILES = 10**9  # one process: every stage's CPU is this process's
    gc.disable()

    def timed(name, stage, *values):
        started = time.process_time()
        result = stage(*values)
        print(f"{name:10s} {time.process_time() - started:5.2f} s", flush=True)
        return result

    raw = timed("load", load.load_tree, args.project)
    content, _ = timed("validate", validate_content, raw)
    del raw
    verified = timed("verify", verify_content, content)
    plan = timed("plan", plan_site, verified)
    templates = args.project / "templates"

    def render():
        return [
            (name, data if isinstance(data, bytes) else b"".join(data)) for name, data in render_files(plan, plan.site, templates, "", 1)
        ]

    files = timed("render", render)  # facts.json among the files
    out = Path(tempfile.mkdtemp(dir=args.out)) / "site"
    try:
        timed("write", write_site, files, out)
    finally:
        shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
