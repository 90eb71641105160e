"""The stages chained in one place: load → validate → verify → plan → render → write."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .build_cache import Built, Recorder, build_options, input_key, read_cache
from .load import Key, load_tree
from .plan import SitePlan, plan_site
from .problems import ContentError, Problem
from .render import render_files, render_site
from .search import BUNDLE, index_site
from .validate import validate_content
from .verify import SearchableText, Verified, verify_content
from .write import Data, check_out, write_site


@contextlib.contextmanager
def collector_paused(keep: bool = False) -> Iterator[None]:
    """Hold Python's cycle collector off while a build runs. Every pass of it walks all the content
    held so far, and the stages allocate millions of objects: at 10,000 devices it took a third of
    the time. A build makes few reference cycles; they are collected once it has ended.

    With `keep` (serve keeps each build until the next), what exists at the end is frozen out of
    the collector's passes instead: the first pass after a rebuild walked all it had made (0.4 s of
    CPU at 10,000 devices). A frozen object is still freed once nothing refers to it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


@dataclass
class Cache:
    """What one run of the chain keeps for the next, each entry keyed by the inputs it was made from.

    The stages stay functions of their inputs: each is handed its part of the cache and reuses an
    entry only when the key (a file's stamp or content digest, a source's text) is the same, then
    leaves the part holding only this run's entries. serve keeps one between rebuilds.
    """

    # load: shown path -> (stat stamp, document, problems); a seed's -> (stamp, None, (text, digest, size, problems))
    loaded: dict[str, tuple] = field(default_factory=dict)
    listed: dict = field(default_factory=dict)  # load: what the last walk of content/ and seeds/ found
    validated: dict[tuple, tuple] = field(default_factory=dict)  # validate: (path, kind, digest) -> (model, problems, documents)
    validation: dict = field(default_factory=dict)  # validate: what the last run was given and made (validate._from_last)
    located: dict[Key, tuple] = field(default_factory=dict)  # validate: a file's key -> (model, document, its claims placed)
    links: dict[tuple, list] = field(default_factory=dict)  # verify: (path, digest) -> the file's Markdown problems
    indexes: dict[str, SearchableText] = field(default_factory=dict)  # verify: source text -> its quote-search index
    checks: dict = field(default_factory=dict)  # verify: each claim file's checks and the Europe file's, with their inputs
    planned: dict = field(default_factory=dict)  # plan: what each file and source gave (plan.Reuse)


@dataclass
class Checked:
    """The chain up to the plan: everything a build renders from, and the warnings met."""

    verified: Verified
    plan: SitePlan
    warnings: list[Problem]


def check_project(project: Path, strict: bool = False, cache: Cache | None = None, changed: Collection[Path] | None = None) -> Checked:
    """Run every check and plan the site, writing nothing; raise ContentError with all problems if any is an error.

    This is the one chain (load → validate → verify → plan) that `check`, `build` and `serve` run.
    With `strict`, warnings count as errors. `cache` makes a rerun reuse what its inputs did not change;
    `changed`, when given, names every file changed since the cache's last run (see load_tree).
    """
    with collector_paused():
        raw = load_tree(project, streamed=True) if cache is None else load_tree(project, cache.loaded, changed, cache.listed)
        if cache is None:
            content, problems = validate_content(raw)
            del raw  # the documents' raw data: the models hold it now
            verified = verify_content(content)
        else:
            content, problems = validate_content(raw, cache.validated, cache.located, cache.validation)
            del raw
            verified = verify_content(content, cache.indexes, cache.links, cache.checks)
        problems = problems + verified.problems
        _stop_on_errors(problems, strict)
        plan = plan_site(verified, None if cache is None else cache.planned)
        problems = problems + plan.problems
        _stop_on_errors(problems, strict)
    return Checked(verified, plan, problems)


def _stop_on_errors(problems: list[Problem], strict: bool) -> None:
    if any(p.severity == "error" for p in problems) or (strict and problems):
        raise ContentError(problems)


def render_project(project: Path, strict: bool = False, base_url: str = "") -> tuple[dict[str, bytes], SitePlan, list[Problem]]:
    """Return every output file of the site, its plan, and the warnings met."""
    with collector_paused():
        checked = check_project(project, strict)
        plan = checked.plan
        files = render_site(plan, plan.site, project / "templates", base_url)
    return files, plan, checked.warnings


def build_project(
    project: Path, out: Path, strict: bool = False, base_url: str = "", search: bool = True, cache: Path | None = None, key: str = ""
) -> Built:
    """Build the site into `out`; on any error raise before touching it.

    Without `search` the Pagefind index is left out (the search page then finds nothing). With
    `cache` (a folder, see build_cache.py) an unchanged project's last output is written again
    without running the chain, and a new build's output is kept there for the next one; `key`
    is the inputs' key when the caller has it already (see build_cache.input_key).
    """
    check_out(out, project)
    recorder = None
    if cache is not None:
        key = key or input_key(project, build_options(strict, base_url, search))
        hit = read_cache(cache, key)
        if hit is not None:
            write_site(hit.files, out)
            return Built(hit.pages, hit.warnings, True)
        recorder = Recorder(cache, key)
    try:
        with collector_paused():
            checked = check_project(project, strict)
            # Render needs only the plan: what verify made and validate's documents go before it starts.
            plan, warnings = checked.plan, checked.warnings
            del checked
            # Each page is written as soon as it is rendered: a large site is never whole in memory.
            files: Iterable[tuple[str, Data]] = render_files(plan, plan.site, project / "templates", base_url)
            finish: Callable[[Path], None] | None = index_site if search else None
            if recorder is not None:
                files, finish = recorder.tee(files), recorder.finishing(finish, BUNDLE)
            write_site(files, out, finish=finish)
    except BaseException:
        if recorder is not None:
            recorder.discard()
        raise
    if recorder is not None:
        recorder.store(warnings, plan.html_pages)
    return Built(plan.html_pages, warnings, False)
