"""Where one cold build of the real site spends its CPU: the imports, then each stage, in this
process (user + system time), and the search indexer's CPU as a child process.

    .venv/bin/python bench/cold_stages.py [--runs 5]     # a fresh process per run; medians
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TREE = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, resource, sys, time
clock = time.process_time
started = clock()
sys.path.insert(0, sys.argv[1] + "/site_src")
from pathlib import Path
marks = {}
def mark(name, since):
    marks[name] = clock() - since
    return clock()
t = clock()
import pydantic
from pydantic import BaseModel
t = mark("import pydantic", t)
import factsheet.model
t = mark("import factsheet.model (its models built)", t)
import yaml, markdown_it, jinja2, jinja2.ext, babel.dates, babel.messages.pofile, babel.numbers
t = mark("import yaml, markdown-it, jinja2, babel", t)
import factsheet.cli, factsheet.pipeline
t = mark("import the rest (ours and the standard library)", t)
from factsheet.load import load_tree
from factsheet.validate import validate_content
from factsheet.verify import verify_content
from factsheet.plan import plan_site
from factsheet.render import render_files
from factsheet.write import write_site
from factsheet.search import index_site
import gc
gc.disable()
project, out = Path(sys.argv[1]), Path(sys.argv[2])
raw = load_tree(project, None); t = mark("load", t)
content, problems = validate_content(raw); t = mark("validate", t)
verified = verify_content(content); t = mark("verify", t)
plan = plan_site(verified, None); t = mark("plan", t)
files = [(name, data if isinstance(data, bytes) else b"".join(data)) for name, data in render_files(plan, plan.site, project / "templates", "")]
t = mark("render", t)
write_site(files, out); t = mark("write (and remove the last output)", t)
index_site(out); t = mark("search index: our process", t)
child = resource.getrusage(resource.RUSAGE_CHILDREN)
marks["search index: Pagefind (child)"] = child.ru_utime + child.ru_stime
marks["total in this process (interpreter start not included)"] = clock() - started
print(json.dumps(marks))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=TREE)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.runs + 1):  # the first fills Jinja's template cache, as any earlier build would have
            result = subprocess.run(
                [sys.executable, "-c", ONE_RUN, str(args.tree), scratch + "/site"], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(result.stdout))
    for name in runs[0]:
        values = [run[name] * 1000 for run in runs[1:]]
        print(f"{name:58} {statistics.median(values):6.0f} ms  ({min(values):.0f}-{max(values):.0f})")


if __name__ == "__main__":
    main()
