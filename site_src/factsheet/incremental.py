"""Incremental rebuilds for `serve`: run the checks again, re-render only the pages an edit touches.

    build = rebuild(project, None)                      # the first build: every file
    build = rebuild(project, build, [changed_path])     # later: build.changed, build.removed

Every rebuild runs the same chain as a full build, with the build's Cache: each stage reuses
what it made from a file whose inputs did not change (validate and verify per file, plan per
file and source, see plan.Reuse), so errors and warnings are exactly those of a full build.
While rendering, each page records which entries of the site-wide tables (devices, sources,
claims, verdicts) it read; a later rebuild re-renders a page only if its own context changed
or an entry it read did. The result is byte-identical to a full build (tests/test_incremental.py
compares them).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pipeline import Cache, check_project, collector_paused
from .plan import Page, SitePlan
from .problems import Problem
from .render import Kept, make_environment, render_files
from .write import Data

SHARED = ("devices", "sources", "claims", "verdicts")  # the site-wide tables every page gets
KEYS = "#"  # a page that iterated a table or took its length depends on which keys it has, in order
WHOLE = "*"  # (key, WHOLE): a page used an entry as a whole, or an attribute that is not a field


class Recorder(Mapping):
    """A read-only view of a site-wide table that notes what a page read: (key,) whether a key is
    there, and through an Entry, (key, name) each field of the entry the page read."""

    def __init__(self, data: dict, read: set):
        self._data = data
        self._read = read

    @property
    def data(self) -> dict:
        """The table itself, read without noting anything (markup.PageMarkup keys its kept fragments by its entries)."""
        return self._data

    def noting(self, read: set) -> set:
        """Note what is read from now on into `read` (entries handed out before keep noting where they did); return the set noted into until now."""
        before, self._read = self._read, read
        return before

    def _entry(self, key: Any) -> Any:
        value = self._data[key]
        return value if value is None else Entry(key, value, self._read)

    def __getitem__(self, key: Any) -> Any:
        self._read.add((key,))
        return self._entry(key)

    def __contains__(self, key: object) -> bool:
        self._read.add((key,))
        return key in self._data

    def get(self, key: Any, default: Any = None) -> Any:
        self._read.add((key,))
        return self._entry(key) if key in self._data else default

    def __iter__(self) -> Iterator:
        self._read.add(KEYS)
        return iter(self._data)

    def items(self):
        self._read.add(KEYS)
        return [(key, self._entry(key)) for key in self._data]

    def values(self):
        self._read.add(KEYS)
        return [self._entry(key) for key in self._data]

    def keys(self):
        self._read.add(KEYS)
        return self._data.keys()

    def __len__(self) -> int:
        self._read.add(KEYS)
        return len(self._data)


class Entry:
    """One entry of a table, handed to a template: notes each attribute read as (key, name), so a
    page that shows a device's name is not rendered again when only the device's facts change."""

    __slots__ = ("_key", "_value", "_read")

    def __init__(self, key: Any, value: Any, read: set):
        self._key, self._value, self._read = key, value, read

    def __getattr__(self, name: str) -> Any:
        # A computed attribute may read any field: it counts as reading the whole entry.
        self._read.add((self._key, name if name in _fields(self._value) else WHOLE))
        return getattr(self._value, name)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:  # a template comparing entries compares them whole
        self._read.add((self._key, WHOLE))
        return self._value == (other._value if isinstance(other, Entry) else other)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class Build:
    """One build's output, and what a later rebuild needs to skip unchanged pages."""

    files: dict[str, Data]  # the whole site; facts.json in its pieces (publish.facts_json), the rest whole
    changed: dict[str, Data]  # files new or different since the previous build (all of them the first time)
    removed: list[str]  # files the previous build had and this one has not
    plan: SitePlan
    warnings: list[Problem]
    base_url: str = ""
    reads: dict[str, dict[str, set]] = field(default_factory=dict)  # page output -> table -> keys read
    cache: Cache = field(default_factory=Cache)  # what the chain keeps for the next rebuild
    rendered: list[str] = field(default_factory=list)  # files rendered this time, changed or not
    kept: Kept | None = None  # compiled templates and exported facts, kept until a template changes
    contexts: dict[str, tuple] = field(default_factory=dict)  # page output -> own_context, for the next rebuild
    pages: dict[str, Page] = field(default_factory=dict)  # page output -> the plan's page
    places: dict[str, int] = field(default_factory=dict)  # page output -> its place in the plan's pages
    readers: dict[str, dict] = field(default_factory=dict)  # table -> entry key (or KEYS) -> the pages that read it


def own_context(page: Page) -> tuple:
    """Return what a page shows besides the shared tables; pages in it compare by their address only."""

    def plain(value: Any) -> Any:
        if isinstance(value, Page):
            return (value.url, value.title, value.in_sitemap)
        if isinstance(value, list) and value and isinstance(value[0], Page):
            return [plain(v) for v in value]
        return value

    return (page.url, page.template, page.title, page.in_sitemap, sorted((k, plain(v)) for k, v in page.context.items() if k not in SHARED))


def _same_own_values(page: Page, before: Page) -> bool:
    """Return whether a page shows what the page at its place showed last time, besides the shared
    tables, as own_context compares them: then its own context is the one noted then. Mostly the very
    objects (the plan keeps unchanged parts), so each is compared by identity first."""
    if (page.url, page.template, page.title, page.in_sitemap) != (before.url, before.template, before.title, before.in_sitemap):
        return False
    mine, theirs = page.context, before.context
    if mine.keys() != theirs.keys():
        return False
    for key, value in mine.items():
        other = theirs[key]
        if value is other or key in SHARED:
            continue
        # A list of pages (the sitemap's) is the same while each page has the same address, as own_context has them.
        if isinstance(value, list) and isinstance(other, list) and value and isinstance(value[0], Page):
            if not _same_addresses(value, other):
                return False
        elif isinstance(value, Page) or value != other:
            return False
    return True


def _same_addresses(pages: list, others: list) -> bool:
    return len(pages) == len(others) and all(
        a is b or (isinstance(b, Page) and (a.url, a.title, a.in_sitemap) == (b.url, b.title, b.in_sitemap))
        for a, b in zip(pages, others, strict=True)
    )


def table_changes(
    new_tables: dict[str, dict], old_tables: dict[str, dict], only: Mapping[str, Collection] | None = None, same_keys: Collection[str] = ()
) -> dict[str, set]:
    """Return, per shared table, what changed: (key,) for each key that came or went, (key, WHOLE)
    for each entry that differs, (key, name) for each of its fields that does, and KEYS when the
    keys or their order did. `only` names, per table, the keys whose entries may differ (the plan
    knows which claims it made again); the others are not looked at. `same_keys` names the tables whose
    keys, in order, the plan says are the old table's."""
    changes = {}
    for name in SHARED:
        a, b = old_tables.get(name, {}), new_tables.get(name, {})
        found: set = set()
        maybe = b.items() if only is None or name not in only else [(key, b[key]) for key in only[name] if key in b]
        # Most entries are the very objects of last time (the plan keeps them): those are passed by identity.
        for key, new in maybe:
            old = a.get(key, _ABSENT)
            if old is new:
                continue
            if old is _ABSENT:
                found.add((key,))
                old = None
            elif old == new:
                continue
            else:
                found.add((key, WHOLE))
            found.update((key, field) for field in _fields(old) | _fields(new) if getattr(old, field, None) != getattr(new, field, None))
        same = a is b or name in same_keys or list(a) == list(b)  # once: the claims' table has 100,000 keys
        for key in a.keys() - b.keys() if not same else ():
            old = a[key]
            found.add((key,))
            found.update((key, field) for field in _fields(old) if getattr(old, field, None) is not None)
        if not same:
            found.add(KEYS)
        changes[name] = found
    return changes


_ABSENT = object()


@functools.cache
def _field_names(kind: Any) -> frozenset[str]:
    if dataclasses.is_dataclass(kind):
        return frozenset(f.name for f in dataclasses.fields(kind))
    return frozenset(getattr(kind, "model_fields", ()))


def _fields(value: Any) -> frozenset[str]:
    """Return the field names of a table entry (a pydantic model or a dataclass)."""
    kind: Any = type(value)  # a class is hashable, which mypy's view of type[Any] misses
    return _field_names(kind)


def stale(reads: dict[str, set] | None, changes: dict[str, set]) -> bool:
    """Return whether a page that read `reads` must be rendered again after `changes`."""
    if reads is None:
        return True
    for name, found in changes.items():  # a loop, not any(): asked for every page of the site
        read = reads.get(name)
        if read and not read.isdisjoint(found):
            return True
    return False


def rebuild(
    project: Path,
    previous: Build | None,
    changed_paths: Iterable[Path] = (),
    base_url: str = "",
    strict: bool = False,
    complete: bool = False,
) -> Build:
    """Return the site after the edits in `changed_paths`; raise ContentError as a full build would.

    Without `previous`, or when a template, a static file or site.yaml changed, everything is
    rendered again. `complete` says that `changed_paths` names every file changed since `previous`
    (serve's watcher knows them): the other files are then not looked at again.
    """
    with collector_paused():
        return _rebuild(project, previous, list(changed_paths), base_url, strict, complete)


def _rebuild(project: Path, previous: Build | None, changed_paths: list[Path], base_url: str, strict: bool, complete: bool) -> Build:
    cache = Cache() if previous is None else previous.cache
    checked = check_project(project, strict, cache, changed_paths if complete and previous is not None else None)
    plan = checked.plan
    site = plan.site
    templates = project / "templates"
    everything = previous is None or base_url != previous.base_url or any(_is_global(Path(p), project) for p in changed_paths)
    kept_from = None if everything else previous  # the build whose pages may be kept
    # A plan made from the previous one names the claims, devices and verdicts it made again: only those can differ.
    only = (
        {"claims": plan.changed, "devices": plan.changed_devices, "verdicts": plan.verdicts_made}
        if kept_from is not None and plan.since >= 0 and plan.since == kept_from.plan.serial
        else None
    )
    changes = {} if kept_from is None else table_changes(plan.shared, kept_from.plan.shared, only, plan.same_keys if only else ())
    changes = {name: found for name, found in changes.items() if found}  # a table nothing changed in stales no page
    # Only the pages that read an entry that changed can be stale: found through the readers of each entry.
    suspects = set() if kept_from is None else _suspects(kept_from.readers, changes)
    todo: list[Page] = []
    # What the pages kept read and showed: each page rendered again replaces its entries.
    reads = {} if kept_from is None else dict(kept_from.reads)
    contexts = {} if kept_from is None else dict(kept_from.contexts)
    old_pages = {} if kept_from is None else kept_from.pages
    pages, look, same_places = _pages_to_look_at(plan.pages, kept_from, suspects)
    for page in look:
        output = page.output
        before = old_pages.get(output)
        # The plan hands last time's page where nothing of its own changed: its own context is the one noted.
        if before is page and output not in suspects:
            continue
        if before is page or (before is not None and _same_own_values(page, before)):
            same = True
        else:
            mine = own_context(page)
            same = before is not None and contexts.get(output) == mine
            contexts[output] = mine
        if same and (output not in suspects or not stale(reads.get(output), changes)):
            continue
        reads[output] = {name: set() for name in SHARED}
        recorders = {name: Recorder(table, reads[output][name]) for name, table in plan.shared.items()}
        todo.append(dataclasses.replace(page, context={**recorders, **page.context}))
    gone = set() if same_places else old_pages.keys() - pages.keys()
    for output in gone:
        del reads[output], contexts[output]
    # In this process: the Recorders note what each page reads, which a forked worker would lose.
    kept = Kept(make_environment(templates)) if kept_from is None else kept_from.kept
    # facts.json stays in its pieces (publish.facts_json): serve joins them only when it is asked for.
    rendered: dict[str, Data] = {
        name: data if isinstance(data, (bytes, list)) else list(data)
        for name, data in render_files(dataclasses.replace(plan, pages=todo), site, templates, base_url, workers=1, kept=kept)
    }
    files: dict[str, Data] = dict(rendered) if kept_from is None else {**kept_from.files, **rendered}
    for output in gone - rendered.keys():
        files.pop(output, None)  # a page that is gone (static files and exports are rendered every time)
    readers = _readers(reads, {output: reads.get(output) for output in [*rendered, *gone]}, None if kept_from is None else kept_from)
    old_files = {} if previous is None else previous.files
    changed = {k: v for k, v in rendered.items() if old_files.get(k) != v}
    # Kept from the previous build, only a page that is gone can be missing now (a template's change renders all).
    removed = sorted(set(old_files) - set(files)) if kept_from is None else sorted(output for output in gone if output in old_files)
    places = kept_from.places if kept_from is not None and same_places else {page.output: n for n, page in enumerate(plan.pages)}
    return Build(
        files,
        changed,
        removed,
        plan,
        checked.warnings,
        base_url,
        reads,
        cache,
        list(rendered),
        kept,
        contexts,
        pages=pages,
        places=places,
        readers=readers,
    )


def _pages_to_look_at(planned: list[Page], kept_from: Build | None, suspects: set[str]) -> tuple[dict[str, Page], list[Page], bool]:
    """Return the plan's pages by output, those to look at, in the plan's order, and whether each page
    is at the place of last time's page with the same output. Then only the pages that are not last
    time's objects and those that read what changed are looked at; otherwise every page."""
    before = [] if kept_from is None else kept_from.plan.pages
    if kept_from is not None and len(before) == len(planned):
        moved = [i for i, (page, old) in enumerate(zip(planned, before, strict=True)) if page is not old]
        if all(planned[i].output == before[i].output for i in moved):
            pages = dict(kept_from.pages)
            pages.update((planned[i].output, planned[i]) for i in moved)
            places = sorted({*moved, *(kept_from.places[output] for output in suspects if output in kept_from.places)})
            return pages, [planned[i] for i in places], True
    return {page.output: page for page in planned}, planned, False


def _suspects(readers: dict[str, dict], changes: dict[str, set]) -> set[str]:
    """Return the pages that read an entry of a shared table that changed (or its keys, when they did)."""
    found: set[str] = set()
    for name, changed in changes.items():
        table = readers.get(name, {})
        for item in changed:
            found.update(table.get(item if item == KEYS else item[0], ()))
    return found


def _readers(reads: dict[str, dict[str, set]], redone: dict[str, dict | None], previous: Build | None) -> dict[str, dict]:
    """Return, per shared table, the pages that read each entry (or the keys, under KEYS): last time's,
    with the pages in `redone` (rendered again or gone) moved from what they read then to what they read now.
    Last time's sets are copied where they change, never changed: a rebuild that fails leaves that build as it was."""
    readers: dict[str, dict] = {name: previous.readers.get(name, {}) if previous else {} for name in SHARED}
    copied: set = set()  # the tables, and their entries, copied so far
    for output, now in redone.items():
        before = None if previous is None else previous.reads.get(output)
        for name in SHARED:
            old_items = {item if item == KEYS else item[0] for item in before[name]} if before else set()
            new_items = {item if item == KEYS else item[0] for item in now[name]} if now else set()
            if old_items == new_items:
                continue
            if name not in copied:  # the claims' table has an entry for each of 100,000 claims: copied only when it changes
                readers[name] = dict(readers[name])
                copied.add(name)
            table = readers[name]
            for key in old_items ^ new_items:
                if (name, key) not in copied:
                    table[key] = set(table.get(key, ()))
                    copied.add((name, key))
                if key in new_items:
                    table[key].add(output)
                else:
                    table[key].discard(output)
    return readers


def _is_global(path: Path, project: Path) -> bool:
    """Return whether an edit to `path` may change every page: templates, static files, site.yaml."""
    try:
        relative = path.resolve().relative_to(project.resolve())
    except ValueError:
        return True
    return relative.parts[:1] == ("templates",) or relative.as_posix() == "content/site.yaml"
