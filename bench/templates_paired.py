"""Two sets of templates compared on one corpus: their pages rendered in turn in one process.

    python bench/templates_paired.py PROJECT BEFORE AFTER [--rounds N] [--pages N] [--templates a.html,b.html]

Loads, validates, verifies and plans PROJECT once (the cycle collector off, as in a build's
workers), then renders the same pages with the templates in folder BEFORE and in folder AFTER,
checks that both write the same bytes, and times N rounds of a few pages (default 250) each, the
two sides in alternating order. Prints the median of each round's ratio AFTER / BEFORE: rounds
this short, each paired with the other side's, cancel the drift of a busy machine's load, which
hides a few per cent in runs timed one after the other. The code is this tree's for both sides.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--templates", default="", help="only the pages of these templates (default: every HTML page)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site_src"))
    import factsheet.load as load
    import factsheet.render as render
    from factsheet.editions import editions
    from factsheet.plan import plan_site
    from factsheet.validate import validate_content
    from factsheet.verify import verify_content

    load.PARALLEL_FILES = 10**9  # one process
    gc.disable()
    content, _ = validate_content(load.load_tree(args.project))
    plan = plan_site(verify_content(content))
    chosen = set(args.templates.split(",")) if args.templates else None
    pages = [i for i, page in enumerate(plan.pages) if (page.template in chosen if chosen else page.template.endswith(".html"))]
    jobs = []
    for templates in (args.before, args.after):
        langs = {lang: render.Edition(lang, templates) for lang in editions(plan.site)}
        jobs.append(render._Job(render.make_environment(templates), plan.pages, plan.site, templates, "", langs, shared=plan.shared))
    if jobs[0].render(pages) != jobs[1].render(pages):
        sys.exit("the two sets of templates write different bytes")
    times: list[list[float]] = [[], []]
    for round_ in range(args.rounds):
        start = round_ * args.pages % len(pages)
        chunk = pages[start : start + args.pages]
        for side in (0, 1) if round_ % 2 == 0 else (1, 0):
            started = time.process_time()
            jobs[side].render(chunk)
            times[side].append((time.process_time() - started) / len(chunk))
    for name, side in (("before", times[0]), ("after", times[1])):
        print(f"{name:7s} median {statistics.median(side) * 1e6:5.0f} µs a page (CPU)")
    ratios = [after / before for before, after in zip(times[0], times[1], strict=True)]
    print(f"after / before, median of {args.rounds} paired rounds: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
