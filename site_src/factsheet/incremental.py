"""Incremental rebuilds for `serve`: run the checks again, re-render only the pages an edit touches.

    build = rebuild(project, None)                      # the first build: every file
    build = rebuild(project, build, [changed_path])     # later: build.changed, build.removed

Every check runs on every rebuild (an edit can break a reference anywhere), so errors are
exactly those of a full build. What is saved is rendering: while rendering, each page
records which entries of the site-wide tables (devices, sources, claims, verdicts) it read;
a later rebuild re-renders a page only if its own context changed or an entry it read did.
The result is byte-identical to a full build (tests/test_incremental.py compares them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pipeline import check_project
from .plan import Page, SitePlan, plan_site
from .problems import Problem
from .render import render_site

SHARED = ("devices", "sources", "claims", "verdicts")  # the site-wide tables every page gets
EVERY = "*"  # a page that iterated a table depends on all of it
SIZE = "#"  # a page that took its length depends on which keys it has


class Recorder(Mapping):
    """A read-only view of a site-wide table that notes which keys a page read."""

    def __init__(self, data: dict, read: set):
        self._data = data
        self._read = read

    def __getitem__(self, key: Any) -> Any:
        self._read.add(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        self._read.add(key)
        return key in self._data

    def get(self, key: Any, default: Any = None) -> Any:
        self._read.add(key)
        return self._data.get(key, default)

    def __iter__(self) -> Iterator:
        self._read.add(EVERY)
        return iter(self._data)

    def items(self):
        self._read.add(EVERY)
        return self._data.items()

    def values(self):
        self._read.add(EVERY)
        return self._data.values()

    def keys(self):
        self._read.add(EVERY)
        return self._data.keys()

    def __len__(self) -> int:
        self._read.add(SIZE)
        return len(self._data)


@dataclass
class Build:
    """One build's output, and what a later rebuild needs to skip unchanged pages."""

    files: dict[str, bytes]  # the whole site
    changed: dict[str, bytes]  # files new or different since the previous build (all of them the first time)
    removed: list[str]  # files the previous build had and this one has not
    plan: SitePlan
    warnings: list[Problem]
    base_url: str = ""
    reads: dict[str, dict[str, set]] = field(default_factory=dict)  # page output -> table -> keys read
    loaded: dict[str, tuple] = field(default_factory=dict)  # content files as loaded, for the next rebuild


def own_context(page: Page) -> tuple:
    """Return what a page shows besides the shared tables; pages in it compare by their address only."""
    def plain(value: Any) -> Any:
        if isinstance(value, Page):
            return (value.url, value.title, value.in_sitemap)
        if isinstance(value, list) and value and isinstance(value[0], Page):
            return [plain(v) for v in value]
        return value
    return (page.url, page.template, page.title, page.in_sitemap,
            sorted((k, plain(v)) for k, v in page.context.items() if k not in SHARED))


def table_changes(old: SitePlan, new_tables: dict[str, dict], old_tables: dict[str, dict]) -> dict[str, set]:
    """Return, per shared table, the keys whose entries differ (plus SIZE when keys came or went)."""
    changes = {}
    for name in SHARED:
        a, b = old_tables.get(name, {}), new_tables.get(name, {})
        keys = {k for k in a.keys() | b.keys() if k not in a or k not in b or a[k] != b[k]}
        if a.keys() != b.keys():
            keys.add(SIZE)
        changes[name] = keys
    return changes


def tables_of(plan: SitePlan) -> dict[str, dict]:
    for page in plan.pages:
        if all(name in page.context for name in SHARED):
            return {name: page.context[name] for name in SHARED}
    return {}


def stale(reads: dict[str, set] | None, changes: dict[str, set]) -> bool:
    if reads is None:
        return True
    for name, keys in changes.items():
        read = reads.get(name, set())
        if keys and (EVERY in read or not read.isdisjoint(keys)):
            return True
    return False


def rebuild(project: Path, previous: Build | None, changed_paths: Iterable[Path] = (),
            base_url: str = "", strict: bool = False) -> Build:
    """Return the site after the edits in `changed_paths`; raise ContentError as a full build would.

    Without `previous`, or when a template, a static file or site.yaml changed, everything is
    rendered again.
    """
    loaded = {} if previous is None else previous.loaded  # unchanged files are not read again
    checked = check_project(project, strict, loaded)
    site = checked.verified.content.site
    plan = plan_site(checked.verified)
    templates = project / "templates"
    everything = previous is None or base_url != previous.base_url or any(
        _is_global(Path(p), project) for p in changed_paths)
    old_pages = {} if everything else {p.output: p for p in previous.plan.pages}
    changes = {} if everything else table_changes(previous.plan, tables_of(plan), tables_of(previous.plan))
    todo, reads = [], {}
    for page in plan.pages:
        old = old_pages.get(page.output)
        if old is not None and own_context(old) == own_context(page) and not stale(previous.reads.get(page.output), changes):
            reads[page.output] = previous.reads[page.output]
            continue
        reads[page.output] = {name: set() for name in SHARED}
        context = {k: Recorder(v, reads[page.output][k]) if k in SHARED else v for k, v in page.context.items()}
        todo.append(dataclasses.replace(page, context=context))
    # In this process: the Recorders note what each page reads, which a forked worker would lose.
    rendered = render_site(dataclasses.replace(plan, pages=todo), site, templates, base_url, workers=1)
    files = dict(rendered) if everything else {**previous.files, **rendered}
    for output in set(files) - {p.output for p in plan.pages} - set(rendered):
        del files[output]  # a page that is gone (static files and exports are rendered every time)
    old_files = {} if previous is None else previous.files
    changed = {k: v for k, v in rendered.items() if old_files.get(k) != v}
    removed = sorted(set(old_files) - set(files))
    return Build(files, changed, removed, plan, checked.warnings, base_url, reads, loaded)


def _is_global(path: Path, project: Path) -> bool:
    """Return whether an edit to `path` may change every page: templates, static files, site.yaml."""
    try:
        relative = path.resolve().relative_to(project.resolve())
    except ValueError:
        return True
    return relative.parts[:1] == ("templates",) or relative.as_posix() == "content/site.yaml"
