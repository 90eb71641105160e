"""The stages chained in one place: load → validate → verify → plan → render → write."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .load import load_tree
from .plan import SitePlan, plan_site
from .problems import ContentError, Problem
from .render import render_files, render_site
from .search import index_site
from .validate import validate_content
from .verify import Verified, verify_content
from .write import check_out, write_site


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cycle collector off while a build runs. Every pass of it walks all the content
    held so far, and the stages allocate millions of objects: at 10,000 devices it took a third of
    the time. A build makes few reference cycles; they are collected once it has ended."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Checked:
    verified: Verified
    warnings: list[Problem]


def check_project(project: Path, strict: bool = False, cache: dict | None = None, indexes: dict | None = None) -> Checked:
    """Run every check without writing; raise ContentError with all problems if any is an error.

    With `strict`, warnings count as errors. `cache` keeps unchanged files loaded (see load_tree),
    `indexes` unchanged sources indexed for quote search (see verify_content).
    """
    with collector_paused():
        raw = load_tree(project, cache)
        content, problems = validate_content(raw)
        verified = verify_content(content, indexes)
    problems = problems + verified.problems
    if any(p.severity == "error" for p in problems) or (strict and problems):
        raise ContentError(problems)
    return Checked(verified, problems)


def render_project(project: Path, strict: bool = False, base_url: str = "") -> tuple[dict[str, bytes], SitePlan, list[Problem]]:
    """Return every output file of the site, its plan, and the warnings met."""
    with collector_paused():
        checked = check_project(project, strict)
        plan = plan_site(checked.verified)
        files = render_site(plan, plan.site, project / "templates", base_url)
    return files, plan, checked.warnings


def build_project(
    project: Path, out: Path, strict: bool = False, base_url: str = "", search: bool = True
) -> tuple[SitePlan, list[Problem]]:
    """Build the site into `out`; on any error raise before touching it.

    Without `search` the Pagefind index is left out (the search page then finds nothing).
    """
    check_out(out, project)
    with collector_paused():
        checked = check_project(project, strict)
        plan = plan_site(checked.verified)
        # Each page is written as soon as it is rendered: a large site is never whole in memory.
        files = render_files(plan, plan.site, project / "templates", base_url)
        write_site(files, out, finish=index_site if search else None)
    return plan, checked.warnings
