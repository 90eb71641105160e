"""Where the CPU time of render goes: the render stage alone, in this process, by page template.

    python bench/render_alone.py PROJECT [RUNS] [--profile FILE] [--tree DIR]

Loads, validates, verifies and plans PROJECT once (the cycle collector off, as in a build's
workers), then renders every page RUNS times (default 5) on one core with the project's own
templates, and prints each run's CPU time (user + system) and, for the fastest run, the CPU time
of the pages of each template. With --profile, one more render runs under cProfile and its
statistics are written to FILE (read them with pstats). With --tree, the stages are those of
DIR/site_src (another commit's tree, from `git archive`), to compare two trees on one corpus.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import sys
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("runs", type=int, nargs="?", default=5)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve() / "site_src"))
    import factsheet.load as load
    import factsheet.render as render
    from factsheet.plan import plan_site
    from factsheet.validate import validate_content
    from factsheet.verify import verify_content

    load.PARALLEL_FILES = 10**9  # one process: every stage's CPU is this process's
    gc.disable()
    content, _ = validate_content(load.load_tree(args.project))
    plan = plan_site(verify_content(content))
    templates = args.project / "templates"

    # The CPU of each page, summed by template: _Job.render called one page at a time.
    spent: Counter[str] = Counter()
    render_pages = render._Job.render

    def render_each(job, indices):
        files = {}
        for index in indices:
            started = time.process_time()
            result = render_pages(job, [index])
            spent[job.pages[index].template] += time.process_time() - started
            if isinstance(result, tuple):
                return result
            files.update(result)
        return files

    render._Job.render = render_each  # type: ignore[method-assign]
    runs = []
    for _ in range(args.runs):
        spent.clear()
        started = time.process_time()
        render.render_site(plan, plan.site, templates, "", workers=1)
        runs.append((time.process_time() - started, dict(spent)))
    render._Job.render = render_pages  # type: ignore[method-assign]
    best, by_template = min(runs, key=lambda run: run[0])
    print("render, CPU s per run:", " ".join(f"{total:.2f}" for total, _ in runs), f"(best {best:.2f})")
    for template, seconds in sorted(by_template.items(), key=lambda item: -item[1]):
        print(f"  {template:16s} {seconds:6.2f} s")
    if args.profile:
        cProfile.runctx("render.render_site(plan, plan.site, templates, '', workers=1)", globals(), locals(), str(args.profile))
        print(f"profile written to {args.profile}")


if __name__ == "__main__":
    main()
