"""Shared by the hostile-input tests: the XSS corpus, and builds run as a user runs them.

`Builder.run` runs `build.py` of a standalone copy of a project in a process of its own and
returns its exit status, output and peak memory, so a test sees exactly what a user sees
(including a crash of the interpreter, which no in-process test can survive).
"""

from __future__ import annotations

import hashlib
import json
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


# Imports the project's generator once, then for each line it reads ([arguments, stdout file, stderr
# file]) forks a child that runs `build.py ARGUMENTS` as `python build.py` would, and writes back the
# child's exit status and its own peak RSS (KiB, from wait4). The child starts with what a new
# interpreter running build.py holds once it has imported the generator, where a new interpreter
# spends 0.9 s of CPU importing it; a child of the (large) test process would start at the test's size.
_BUILDER = """
import json, os, runpy, sys
sys.path.insert(0, "site_src")
import factsheet.cli
for line in sys.stdin:
    args, out, err = json.loads(line)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
            sys.argv = ["build.py", *args]
            runpy.run_path("build.py", run_name="__main__")
            status = 0
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    _, status, usage = os.wait4(pid, 0)
    print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss]), flush=True)
"""


class Builder:
    """Runs `python build.py ARGS` in a standalone project (see standalone) as its own process, as a
    user runs it; returns what it printed and its peak memory."""

    def __init__(self, project: Path):
        self.project = project
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.runner = subprocess.Popen(
            [sys.executable, "-c", _BUILDER], cwd=project, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def run(self, *args: str) -> Run:
        out, err = self.project / ".run.out", self.project / ".run.err"
        assert self.runner.stdin is not None and self.runner.stdout is not None
        self.runner.stdin.write(json.dumps([list(args), str(out), str(err)]) + "\n")
        self.runner.stdin.flush()
        answer = self.runner.stdout.readline()
        assert answer, "the runner of the builds stopped"
        status, peak = json.loads(answer)
        return Run(status, out.read_text(errors="replace"), err.read_text(errors="replace"), peak / 1024)

    def close(self) -> None:
        assert self.runner.stdin is not None and self.runner.stdout is not None
        self.runner.stdin.close()
        self.runner.wait(timeout=60)
        self.runner.stdout.close()


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
