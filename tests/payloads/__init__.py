"""Shared by the hostile-input tests: the XSS corpus, and builds run as a user runs them.

`run_build` starts `build.py` of a standalone copy of a project in a child process and
returns its exit status, output and peak memory, so a test sees exactly what a user sees
(including a crash of the interpreter, which no in-process test can survive).
"""

from __future__ import annotations

import hashlib

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def xss_payloads() -> dict[str, list[str]]:
    """Return the XSS corpus by section, `escaped` and `refused` (see xss.txt), `\\uXXXX` escapes decoded."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (HERE / "xss.txt").read_text(encoding="utf-8").splitlines():
        if line in ("[escaped]", "[refused]"):
            current = sections.setdefault(line[1:-1], [])
        elif line.strip() and not line.startswith("#"):
            current.append(line.encode("ascii", "backslashreplace").decode("unicode_escape"))
    return sections


def standalone(project: Path) -> Path:
    """Give a copied project its own build.py and generator, so `build.py` builds that project."""
    shutil.copy2(REPO / "build.py", project / "build.py")
    shutil.copytree(REPO / "site_src", project / "site_src", ignore=shutil.ignore_patterns("__pycache__"))
    return project


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float


# Runs the build as its own child and writes the child's peak RSS (KiB) to argv[1]. A
# process inherits the peak RSS of the one that forked it, so a child of the (large) test
# process would report at least the test's size; the child of this small runner does not.
_MEASURE = """
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status)
"""


def run_build(project: Path, *args: str) -> Run:
    """Run `python build.py ARGS` in `project`; return what it printed and its peak memory."""
    out, err, peak = project / ".run.out", project / ".run.err", project / ".run.rss"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        status = subprocess.call(
            [sys.executable, "-c", _MEASURE, str(peak), sys.executable, "build.py", *args],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    return Run(status, out.read_text(errors="replace"), err.read_text(errors="replace"), int(peak.read_text()) / 1024)


def text_fields(data: dict, kind: str, payload: str) -> None:
    """Put `payload` into every text field of one parsed content file (ids, dates and enums stay valid)."""
    say = f"Hello {payload} end"
    if kind == "site":
        data.update(title=say, description=say)
    elif kind == "source":
        data.update(
            title=say,
            title_note=say,
            title_en=say,
            publisher=say,
            publisher_note=say,
            published_note=say,
            summary=say,
            relays=[{"name": say, "via": say}],
        )
    elif kind == "device":
        data.update(name=say, maker=say, series=say, announced_note=say, markets=[say], aka=[say], summary=say)
        for fact in data.get("facts", []):
            fact["text"] = say
    elif kind == "history":
        for event in data["events"]:
            event.update(title=say, text=say)
    elif kind == "europe":
        for entry in data["devices"]:
            entry["reasoning"] = say


# libyaml's safe loader and dumper where PyYAML has them: the same data, read and written several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def inject(project: Path, payload: str, everywhere: bool = True) -> None:
    """Write `payload` into the mini project: into every text field, and verbatim into a seed and a quote."""
    content = project / "content"
    with (project / "seeds/alpha.txt").open("a", encoding="utf-8") as seed:
        seed.write(f"\n\nPayload passage: {payload}\n")
    for file, kind in [
        ("site.yaml", "site"),
        ("sources/alpha-news.yaml", "source"),
        ("devices/alpha.yaml", "device"),
        ("devices/beta.yaml", "device"),
        ("history.yaml", "history"),
        ("europe.yaml", "europe"),
    ]:
        data = yaml.load((content / file).read_text(), Loader=_Loader)
        if everywhere:
            text_fields(data, kind, payload)
        if file == "devices/alpha.yaml":
            data["facts"][0]["citations"].append(
                {"source": "alpha-news", "quote": f"Payload passage: {payload}", "translation": f"Translated passage: {payload}"}
            )
        if file == "sources/alpha-news.yaml":  # the seed changed on purpose: pin its new bytes
            data["sha256"] = hashlib.sha256((project / "seeds/alpha.txt").read_bytes()).hexdigest()
        (content / file).write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000))
    if everywhere:
        front = yaml.dump(
            {"title": f"About {payload}", "description": f"About {payload}"}, Dumper=_Dumper, allow_unicode=True, width=10_000
        )
        (content / "pages/about.md").write_text(f"---\n{front}---\nBefore\n\n{payload}\n\n* item {payload}\n\n> {payload}\n")
