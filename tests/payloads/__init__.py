"""Shared by the hostile-input tests: the XSS corpus, and builds run as a user runs them.

`run_build` starts `build.py` of a standalone copy of a project in a child process and
returns its exit status, output and peak memory, so a test sees exactly what a user sees
(including a crash of the interpreter, which no in-process test can survive).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def xss_payloads() -> list[str]:
    """Return the XSS corpus: one payload a line in xss.txt, `\\uXXXX` escapes decoded."""
    lines = (HERE / "xss.txt").read_text(encoding="utf-8").splitlines()
    return [line.encode("ascii", "backslashreplace").decode("unicode_escape") for line in lines
            if line.strip() and not line.startswith("#")]


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


def run_build(project: Path, *args: str) -> Run:
    """Run `python build.py ARGS` in `project`; return what it printed and its peak memory."""
    out, err = project / ".run.out", project / ".run.err"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen([sys.executable, "build.py", *args], cwd=project, env=env,
                                 stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        # wait4 reports this child's own peak RSS (RUSAGE_CHILDREN would mix in earlier children).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return Run(child.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"),
               usage.ru_maxrss / 1024)
