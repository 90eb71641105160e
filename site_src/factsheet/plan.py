"""Stage 4, plan: derive every page, its URL and context, the back-links and the Europe verdicts."""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from collections.abc import Iterable
from typing import Any

from .editions import ENGLISH, FOLDER, GERMAN, editions
from .i18n import N_
from .model import Claim, Event, Site
from .load import Key
from .pictures import SHIPPED_AS, plan_lineup, plan_timeline
from .problems import Problem
from .verify import Match, Verified

# The English words are msgids: the templates show them through the edition's catalog.
ANSWERS = {
    "no": N_("No"),
    "expected": N_("Expected"),
    "sold": N_("Already sold"),
    "unclear": N_("Unclear"),
    "disputed": N_("Disputed"),
    "name-not-used": N_("Name not used"),
}
# The verdict rule's order of standing, strongest first (docs/editing.md, the Europe and About pages).
STANDINGS = ("official", "report", "opinion", "rumour")
# What the deciding claims' standing says about the evidence, shown beside every verdict.
EVIDENCE = {
    "official": N_("official statement"),
    "report": N_("press report"),
    "opinion": N_("commentary only"),
    "rumour": N_("rumour only"),
}
DISAGREEING = {
    "official": N_("official statements disagree"),
    "report": N_("press reports disagree"),
    "opinion": N_("commentaries disagree"),
    "rumour": N_("rumours disagree"),
}
NO_STANCE = N_("no source takes a stance")
# Values the content writes in English that pages show in the edition's words.
# Written out one by one: the catalogs are extracted from the literal strings.
SHOWN_VALUES = (
    N_("official"),
    N_("report"),
    N_("rumour"),
    N_("opinion"),
    N_("no"),
    N_("expected"),
    N_("sold"),
    N_("unclear"),
    N_("announced"),
    N_("rumoured"),
)


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, which template draws it, and what the template gets."""

    url: str  # site-relative: "" for home, "devices/xiaomi-12/" , or a file such as "sitemap.xml"
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    in_sitemap: bool = True
    lang: str = ENGLISH  # the edition: English at the root, German under de/
    ui_title: bool = False  # the title is one of the site's own words, shown through the edition's catalog
    anywhere: bool = False  # served for every missing path (the 404 page): links start at the site's root path
    needs_base_url: bool = False  # made of absolute URLs (sitemap, feed): written only when the base URL is known

    @functools.cached_property  # a rebuild asks each page several times
    def output(self) -> str:
        return self.url + "index.html" if self.url == "" or self.url.endswith("/") else self.url

    @property
    def path(self) -> str:
        """Return the URL inside its edition, the same in every edition: "devices/xiaomi-12/"."""
        return self.url[len(FOLDER[self.lang]) :]


@dataclass(frozen=True, slots=True)  # slots: a large site holds hundreds of thousands
class Passage:
    """A highlighted stretch of a source: one or more overlapping quotes merged."""

    id: str
    start: int
    end: int
    claims: tuple[str, ...]
    translations: tuple[str, ...] = ()  # the site's own renderings of the quotes merged here
    translations_de: tuple[str, ...] = ()  # the same in German, for the German edition


@dataclass(frozen=True, slots=True)
class CitationView:
    source: str
    source_title: str
    quote: str
    translation: str | None  # the site's own English rendering of a quote in another language
    lang: str
    href: str  # site-relative: sources/<id>/#<passage>
    passage: str
    translation_de: str | None = None  # the site's own German rendering of a quote in another language


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim: Claim
    owner_title: str
    href: str  # site-relative link to the claim on its page
    citations: tuple[CitationView, ...]
    superseded_by: str | None = None
    contradicted_by: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.claim.id


@dataclass(frozen=True, slots=True)
class Verdict:
    device: str
    answer: str  # no | expected | sold | unclear | disputed | name-not-used
    label: str  # the answer for readers: "Expected"
    evidence: str  # how strong the deciding claims are: "commentary only"; "" when none decides
    reasoning: str
    reading: str | None  # how the site reads the deciding claims for Europe, where they do not name it
    chain: tuple[ClaimView, ...]  # oldest first
    deciding: tuple[ClaimView, ...]  # the claims the rule picked (more than one: they agree, or dispute)
    reasoning_de: str | None = None  # the reasoning and the reading in German, for the German edition
    reading_de: str | None = None

    @property
    def as_of(self) -> ClaimView | None:
        """Return the deciding claim with the latest date (ties by id), for "as of" dates."""
        return max(self.deciding, key=lambda v: (v.claim.date.sort_key, v.id), default=None)


@dataclass
class SitePlan:
    pages: list[Page]  # each page's context holds what it shows besides the shared tables
    claims: dict[str, ClaimView]
    verdicts: dict[str, Verdict]
    passages: dict[str, list[Passage]]
    site: Site  # what every page says of the site itself: title, language, "as of"
    problems: list[Problem] = field(default_factory=list)  # what only the whole site shows, such as a page URL taken twice
    newest: list[tuple] = field(default_factory=list)  # (date sort key, id) of every claim, newest first
    # Planned from a build cache: this plan's number, the number of the plan the cache held before
    # (-1: none), and the claims whose views are not that plan's (what facts.json encodes again).
    serial: int = 0
    since: int = -1
    changed: frozenset[str] = frozenset()
    # Likewise the devices that are not that plan's objects and the devices whose verdicts were decided
    # again: entries of the shared tables not named here are that plan's very objects.
    changed_devices: frozenset[str] = frozenset()
    verdicts_made: frozenset[str] = frozenset()
    # The site-wide tables every template gets beside its page's context (SHARED: devices, sources,
    # claims, verdicts). Out of the pages, so that a page nothing changed in stays the same object.
    shared: dict[str, dict] = field(default_factory=dict)
    # The shared tables whose keys, in their order, are those of the plan `since` (their entries may differ).
    same_keys: frozenset[str] = frozenset()

    @property
    def html_pages(self) -> int:
        """How many readers' pages the site has (sitemap, feed and robots.txt are files, not pages)."""
        return sum(page.output.endswith(".html") for page in self.pages)


def passage_id(text: str) -> str:
    """Return a stable anchor for a passage: it changes only when the passage's words do."""
    return "p-" + hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:10]


def source_passages(
    verified: Verified, source_id: str, items: list[tuple[Match, tuple[str, int]]]
) -> tuple[list[Passage], dict[tuple[str, int], str]]:
    """Return one source's merged passages from the quotes found in it (in the order of the claims'
    index), and the passage each of those citations lands on."""
    text = verified.content.texts[verified.content.sources[source_id].file]
    items = sorted(items, key=lambda item: (item[0].start, item[0].end))
    groups: list[list] = []
    for match, key in items:
        if groups and match.start < groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], match.end)
            groups[-1][2].append(key)
        else:
            groups.append([match.start, match.end, [key]])
    passages = []
    landing: dict[tuple[str, int], str] = {}
    for start, end, keys in groups:
        pid = passage_id(text[start:end])
        claim_ids = tuple(dict.fromkeys(k[0] for k in keys))
        quoted = [verified.content.claims[c].claim.citations[i] for c, i in keys]
        ordered = sorted(quoted, key=lambda c: c.quote)
        translations = tuple(dict.fromkeys(c.translation for c in ordered if c.translation))
        translations_de = tuple(dict.fromkeys(c.translation_de for c in ordered if c.translation_de))
        passages.append(Passage(pid, start, end, claim_ids, translations, translations_de))
        landing.update({k: pid for k in keys})
    return passages, landing


def plan_site(verified: Verified, memo: dict | None = None) -> SitePlan:
    """Return every page of the site with its context, ready for the templates.

    `memo` (a build cache's) keeps what each file and source gave last time (see Reuse): what an edit
    did not touch is not planned again, and keeps its objects, so later steps see it is unchanged.
    """
    content = verified.content
    reuse = Reuse(verified, {} if memo is None else memo)
    passages = reuse.passages()
    superseded_by, contradicted, contradicting = reuse.relations()
    claims = reuse.claim_views(superseded_by, contradicted)
    verdicts = reuse.verdicts(claims, superseded_by)
    # check_project stops before plan when a required file failed, so these are all here.
    site, history = content.site, content.history
    assert site is not None and history is not None
    events = sorted((claims[e.id] for e in history.events), key=lambda v: v.claim.date.sort_key)
    # Background has no date of its own: it is never on the timeline nor among the latest events.
    background = sorted((claims[e.id] for e in history.background), key=lambda v: (v.claim.date.sort_key, v.id))
    devices = reuse.device_order()
    shared = {"devices": devices, "sources": content.sources, "claims": claims, "verdicts": verdicts}
    page = reuse.page

    # Indexed once, so each device page finds its share without scanning every claim and event.
    timeline = reuse.timeline(events, background, site.as_of)
    every_pair = reuse.pairs("every", claims, None, contradicting)
    pairs_of = reuse.pairs_by_claim(every_pair)
    events_of: dict[str, list[ClaimView]] = {}
    for event in events:
        for device_id in dict.fromkeys(event.claim.devices if isinstance(event.claim, Event) else ()):
            events_of.setdefault(device_id, []).append(event)

    pages = [
        page(
            "",
            "home.html",
            site.title,
            {
                "latest_events": latest_events(events),
                "disagreements": every_pair,
                "timeline": timeline,
                "lineup": reuse.lineup(devices, verdicts),
            },
        )
    ]
    pages += reuse.device_pages(devices, claims, events_of, verdicts, pairs_of)
    pages.append(
        page(
            "history/",
            "history.html",
            N_("Partnership history"),
            {
                "events": events,
                "background": background,
                "timeline": timeline,
                "disagreements": reuse.pairs("history", claims, {e.id for e in history.events}, contradicting),
            },
            ui_title=True,
        )
    )
    pages.append(
        page(
            "background/",
            "background.html",
            N_("Background"),
            {
                "background": background,
                "disagreements": reuse.pairs("background", claims, {e.id for e in history.background}, contradicting),
            },
            ui_title=True,
        )
    )
    pages.append(page("europe/", "europe.html", N_("Will it come to Europe?"), {}, ui_title=True))
    pages.append(page("sources/", "sources.html", N_("Sources"), {"passages": passages}, ui_title=True))
    for source_id, source in sorted(content.sources.items()):
        pages.append(page(f"sources/{source_id}/", "source.html", source.title, reuse.source_context(source_id, source, passages)))
    for slug, (meta, body) in sorted(content.pages.items()):
        pages.append(page(f"{slug}/", "page.html", meta.title, {"meta": meta, "body": body, "untranslated": False}))
    pages.append(page("search/", "search.html", N_("Search"), {}, in_sitemap=False, ui_title=True))
    pages.append(page("404.html", "404.html", N_("Page not found"), {}, in_sitemap=False, ui_title=True, anywhere=True))
    if GERMAN in editions(site):
        pages += reuse.germans(pages)
    pages += [reuse.same_page(made) for made in plan_publishing(pages, claims, site, reuse.newest(claims))]
    reuse.keep()
    return SitePlan(
        pages,
        claims,
        verdicts,
        passages,
        site,
        taken_urls(pages, content),
        reuse.new["newest"],
        reuse.serial,
        reuse.since,
        frozenset(reuse.changed_claims),
        frozenset(reuse.changed_devices),
        frozenset(reuse.verdicts_made),
        shared,
        frozenset(reuse.same_keys),
    )


class Reuse:
    """What plan_site keeps in a build cache's `memo` between rebuilds, and how it tells what an edit touched.

    A file holding claims is known unchanged by its checks (verify hands the same FileChecks object
    while the file and what its checks read are unchanged); a source by its model and text. From the
    files that changed follow the sources whose passages are planned again, the claims whose views
    are made again (theirs, those citing a changed source, those whose supersedes or contradicts
    changed), and from those the verdicts and device pages made again. What is made again and equals
    what was kept is replaced by what was kept, so the objects of an unchanged part stay the same.
    """

    def __init__(self, verified: Verified, memo: dict):
        self.verified = verified
        self.content = verified.content
        self.memo = memo
        self.old: dict = dict(memo)
        self.new: dict = {}
        old_files: dict = self.old.get("files", {})
        # After the run before (the chain's runs are numbered by validate), verify names the only files whose checks may differ.
        run = verified.content.run
        self.patched = verified.patched if run > 0 and self.old.get("run") == run - 1 and "views" in self.old else None
        # And validate the only devices that may not be last time's objects.
        self.devices_changed = None if self.patched is None or verified.content.changed is None else verified.content.changed
        self.new["run"] = run
        looked_at = verified.files if self.patched is None else sorted(self.patched)
        self.changed_files = [key for key in looked_at if getattr(old_files.get(key), "part", None) is not verified.files[key]]
        self.gone_files = [] if self.patched is not None else [key for key in old_files if key not in verified.files]
        self.changed_claims: set[str] = set()  # claim ids whose view is not the one kept
        self.since = self.old.get("serial", -1)
        self.serial = self.since + 1 if memo else 0  # without a cache no plan follows from this one
        self.new["serial"] = self.serial
        self._pairs_changed: set[str] | None = None
        self.same_keys: set[str] = set()  # the shared tables made as last time's with some entries replaced

    def keep(self) -> None:
        self.memo.clear()
        self.memo.update(self.new)

    def page(self, url: str, template: str, title: str, context: dict[str, Any], **options: Any) -> Page:
        """Return Page(url, template, title, context, ...): last time's page at `url` when it had the
        very same context and the same title and options (a rebuild then passes it by identity)."""
        old = self.old.get("pages", {}).get(url)
        if old is None or old[0].context is not context or old[0].title != title or old[0].template != template or old[1] != options:
            old = (Page(url, template, title, context, **options), options)
        self.new.setdefault("pages", {})[url] = old
        return old[0]

    def germans(self, english: list[Page]) -> list[Page]:
        """Return german_page(page) of each English page: last time's where the English page is last
        time's (and, for a free page, so is its German file). Compared item by item with last time's
        list, so a rebuild looks again only at the pages that changed."""
        old = self.old.get("german pages")  # (the English pages, their German pages, the free pages' places)
        old_free: dict[str, tuple] = self.old.get("german free pages", {})
        free: dict[str, tuple] = {}
        content = self.content

        def german(page: Page, before: Page | None, made: Page | None) -> Page:
            if page.template == "page.html":  # its German file may have changed alone
                translated = content.pages_de.get(page.url[:-1])
                known = old_free.get(page.url)
                if known is None or known[0] is not page or known[2] is not translated:
                    known = (page, german_page(page, content), translated)
                free[page.url] = known
                return known[1]
            return made if page is before and made is not None else german_page(page, content)

        if old is not None and len(old[0]) == len(english):
            germans = list(old[1])
            # The pages that are not last time's, and the free pages (their German files may have changed alone).
            look = {i for i, (page, before) in enumerate(zip(english, old[0], strict=True)) if page is not before} | set(old[2])
            for i in look:
                germans[i] = german(english[i], old[0][i], old[1][i])
            free_at = sorted(i for i in look if english[i].template == "page.html")
        else:
            by_url = {} if old is None else {page.url: (page, made) for page, made in zip(old[0], old[1], strict=True)}
            germans = [german(page, *by_url.get(page.url, (None, None))) for page in english]
            free_at = [i for i, page in enumerate(english) if page.template == "page.html"]
        self.new["german pages"] = (list(english), germans, free_at)
        self.new["german free pages"] = free
        return germans

    def same_page(self, page: Page) -> Page:
        """Return last time's page at the same URL if it equals `page` (the sitemap, whose list of pages
        holds the same pages, and the feeds), else `page`: a rebuild passes the very same page by."""
        old = self.old.get("published", {}).get(page.url)
        kept = old if old is not None and old == page else page
        self.new.setdefault("published", {})[page.url] = kept
        return kept

    def passages(self) -> dict[str, list[Passage]]:
        """Return each source's passages (sorted by source id), planning again only the sources an edit touched."""
        content, files = self.content, self.verified.files
        old_files: dict[Key, _FileQuotes] = self.old.get("files", {})
        kept = old_files if "passages" in self.old else {}
        quotes: dict[Key, _FileQuotes] = {} if self.patched is None or not kept else dict(kept)
        touched: set[str] = set()
        for key, part in files.items() if self.patched is None or not kept else ((key, files[key]) for key in self.changed_files):
            known = kept.get(key)
            if known is None or known.part is not part:
                by_source: dict[str, list] = {}
                for k, match in part.matches.items():
                    by_source.setdefault(match.source, []).append((match, k))
                known = _FileQuotes(part, by_source)
                touched.update(by_source)
                if key in kept:
                    touched.update(kept[key].by_source)
            quotes[key] = known
        for key in kept.keys() - quotes.keys():
            touched.update(kept[key].by_source)
        old_sources, old_texts = self.old.get("sources", {}), self.old.get("texts", {})
        citing: dict[str, list[Key]] | None = dict(self.old["citing"]) if kept and "citing" in self.old else None
        if citing is None:
            citing = {}
            for key, known in quotes.items():
                for source_id in known.by_source:
                    citing.setdefault(source_id, []).append(key)
            touched = set(citing) | set(old_sources)
        else:
            for key in {*self.changed_files, *self.gone_files}:
                before = kept[key].by_source if key in kept else {}
                after = quotes[key].by_source if key in quotes else {}
                for source_id in before.keys() - after.keys():
                    citing[source_id] = [k for k in citing[source_id] if k != key]
                for source_id in after.keys() - before.keys():
                    citing[source_id] = list(citing.get(source_id, []))  # a copy: the cache's stays as it was until plan ends
                    bisect.insort(citing[source_id], key)
        for source_id in content.sources.keys() | old_sources.keys():
            source, before = content.sources.get(source_id), old_sources.get(source_id)
            if source is not before or (source is not None and content.texts.get(source.file) != old_texts.get(source.file)):
                touched.add(source_id)
        old_passages: dict[str, list[Passage]] = self.old.get("passages", {})
        old_landing: dict[str, dict] = self.old.get("landing", {})
        passages: dict[str, list[Passage]] = {}
        landing: dict[str, dict] = {}
        for source_id in sorted(s for s, keys in citing.items() if keys):
            if source_id in touched or source_id not in old_passages:
                items = [item for key in citing[source_id] for item in quotes[key].by_source[source_id]]
                passages[source_id], landing[source_id] = source_passages(self.verified, source_id, items)
                if passages[source_id] == old_passages.get(source_id) and landing[source_id] == old_landing.get(source_id):
                    passages[source_id], landing[source_id] = old_passages[source_id], old_landing[source_id]
                else:
                    touched.add(source_id)
            else:
                passages[source_id], landing[source_id] = old_passages[source_id], old_landing[source_id]
        self.touched_sources = {
            s for s in touched if passages.get(s) is not old_passages.get(s) or content.sources.get(s) is not old_sources.get(s)
        }
        self.landing = landing
        self.new.update(files=quotes, citing=citing, sources=content.sources, texts=content.texts, passages=passages, landing=landing)
        return passages

    def relations(self) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
        """Return which claim supersedes each claim superseded, the claims each claim contradicts or is
        contradicted by, and the claims that contradict another (each in the claims' order)."""
        superseded_by: dict[str, str] = {}
        contradicted: dict[str, list[str]] = {}
        contradicting: list[str] = []
        files, old_files = self.new["files"], self.old.get("files", {})
        for known in files.values() if self.patched is None else (files[key] for key in self.changed_files):
            if known.relations is None:
                known.relations = [
                    (cid, claim.supersedes, claim.contradicts)
                    for cid in known.part.claim_ids
                    for claim in (self.content.claims[cid].claim,)
                    if claim.supersedes or claim.contradicts
                ]
        if (
            "relations" in self.old
            and not self.gone_files
            and all(key in old_files and old_files[key].relations == files[key].relations for key in self.changed_files)
        ):  # the files that changed kept their supersedes and contradicts: so did the site
            self.related_changed = set()
            self.new["relations"] = self.old["relations"]
            return self.old["relations"]
        for known in files.values():
            for cid, supersedes, contradicts in known.relations:
                if supersedes:
                    superseded_by[supersedes] = cid
                if contradicts:
                    contradicted.setdefault(contradicts, []).append(cid)
                    contradicted.setdefault(cid, []).append(contradicts)
                    contradicting.append(cid)
        old_superseded, old_contradicted, _ = self.old.get("relations", ({}, {}, []))
        self.related_changed = {
            cid for cid in superseded_by.keys() | old_superseded.keys() if superseded_by.get(cid) != old_superseded.get(cid)
        } | {
            cid
            for cid in contradicted.keys() | old_contradicted.keys()
            if contradicted.get(cid) != old_contradicted.get(cid) and set(contradicted.get(cid, ())) != set(old_contradicted.get(cid, ()))
        }
        self.new["relations"] = (superseded_by, contradicted, contradicting)
        return superseded_by, contradicted, contradicting

    def claim_views(self, superseded_by: dict[str, str], contradicted: dict[str, list[str]]) -> dict[str, ClaimView]:
        """Return every claim's view in the claims' order, made again for the files an edit touched."""
        content = self.content
        redo = set(self.changed_files)
        citing = self.new["citing"]
        redo.update(key for source_id in self.touched_sources for key in citing.get(source_id, ()))
        redo.update(content.claims[cid].owner for cid in self.related_changed if cid in content.claims)
        old_views: dict[Key, list] = self.old.get("views", {}) if "views" in self.old else {}
        old_claims: dict[str, ClaimView] = self.old.get("claims", {})
        files = self.new["files"]
        views: dict[Key, list] = {} if self.patched is None or not old_views else dict(old_views)
        for key, known in files.items() if self.patched is None or not old_views else ((key, files[key]) for key in redo if key in files):
            made = old_views.get(key)
            if made is None or key in redo:
                made = []
                for cid in known.part.claim_ids:
                    view = claim_view(content, cid, self.landing, superseded_by, contradicted)
                    before = old_claims.get(cid)
                    if before is not None and before == view:
                        view = before
                    else:
                        self.changed_claims.add(cid)
                    made.append((cid, view))
            views[key] = made
        remade = [
            key for key in (views if self.patched is None or not old_views else sorted(redo)) if views.get(key) is not old_views.get(key)
        ]
        self.remade_views = remade
        if old_views.keys() == views.keys() and all([c for c, _ in views[k]] == [c for c, _ in old_views[k]] for k in remade):
            claims = dict(old_claims)  # the same ids in the same order: last time's, with the views made again
            self.same_keys.add("claims")
            for key in remade:
                claims.update(views[key])
        else:
            claims = {cid: view for made in views.values() for cid, view in made}
            self.changed_claims.update(cid for cid in old_claims.keys() - claims.keys())
        self.new.update(views=views, claims=claims)
        return claims

    def verdicts(self, claims: dict[str, ClaimView], superseded_by: dict[str, str]) -> dict[str, Verdict]:
        """Return each device's Europe answer, decided again for the entries an edit touched."""
        content = self.content
        europe = content.europe
        assert europe is not None  # check_project stops before plan without it
        old = self.old.get("verdicts")
        old_devices: dict = self.old.get("devices", {})
        if self.devices_changed is not None and "devices" in self.old:
            candidates: Iterable[str] = (key.id for key in self.devices_changed if key.kind == "device")
        else:
            candidates = content.devices.keys() | old_devices.keys()
        changed_devices = {d for d in candidates if content.devices.get(d) is not old_devices.get(d)}
        # Which entries name each claim and each device, and which devices each device was shipped as.
        shipped_by: dict[str, list[str]] | None = None
        if old is None or old[0] is not europe:
            naming: dict[str, list[int]] = {}
            entries_of: dict[str, list[int]] = {}
            for index, entry in enumerate(europe.devices):
                entries_of.setdefault(entry.device, []).append(index)
                for cid in entry.claims:
                    naming.setdefault(cid, []).append(index)
            redo = set(range(len(europe.devices)))
            found: list[Verdict | None] = [None] * len(europe.devices)
        else:
            naming, found, entries_of, shipped_by = old[1], list(old[2]), old[4], old[5]
            redo = {i for cid in self.changed_claims for i in naming.get(cid, ())}
            if any(
                d not in content.devices or d not in old_devices or content.devices[d].shipped_as != old_devices[d].shipped_as
                for d in changed_devices
            ):
                shipped_by = None
        if shipped_by is None:
            shipped_by = {}
            for device_id, device in content.devices.items():
                if device.shipped_as:
                    shipped_by.setdefault(device.shipped_as, []).append(device_id)
        # An entry is decided again when its device changed or the device it was shipped as did.
        for device_id in changed_devices if old is not None and old[0] is europe else ():
            redo.update(entries_of.get(device_id, ()))
            redo.update(i for other in shipped_by.get(device_id, ()) for i in entries_of.get(other, ()))
        self.verdicts_made = {europe.devices[index].device for index in redo}
        for index in sorted(redo):
            made = entry_verdict(content, europe.devices[index], claims, superseded_by)
            found[index] = found[index] if found[index] == made else made
        if old is not None and old[0] is europe:  # the same entries: last time's table, with the verdicts made again
            verdicts = dict(old[3])
            self.same_keys.add("verdicts")
            verdicts.update((europe.devices[index].device, found[index]) for index in redo)
        else:
            verdicts = {}
            for entry, verdict in zip(europe.devices, found, strict=True):
                assert verdict is not None
                verdicts[entry.device] = verdict
        self.changed_devices = changed_devices
        self.new.update(verdicts=(europe, naming, found, verdicts, entries_of, shipped_by), devices=content.devices)
        return verdicts

    def device_order(self) -> dict[str, Any]:
        """Return the devices in the order of their announcement, then name; sorted again only when
        a device came, went, or changed either."""
        content = self.content
        old = self.old.get("order")
        old_devices = self.old.get("devices", {})

        def place(device: Any) -> tuple:
            return (device.announced.sort_key if device.announced else (9999,), device.name)

        if (
            old is None
            or len(old) != len(content.devices)
            or any(
                d not in content.devices or d not in old or d not in old_devices or place(content.devices[d]) != place(old_devices[d])
                for d in self.changed_devices
            )
        ):
            order = dict(sorted(content.devices.items(), key=lambda item: place(item[1])))
        else:  # the same order: last time's, with the devices that are other objects now
            order = dict(old)
            order.update((d, content.devices[d]) for d in self.changed_devices)
            self.same_keys.add("devices")
        self.new["order"] = order
        return order

    def lineup(self, devices: dict[str, Any], verdicts: dict[str, Verdict]) -> Any:
        """Return plan_lineup's picture, kept while no device's place in it nor any verdict shown in it changed."""
        old = self.old.get("lineup")

        def shown(device: Any) -> tuple:
            return (
                device.name,
                device.announced,
                device.series,
                device.series_de,
                device.status,
                device.shipped_as,
                device.successor,
                device.predecessor,
            )

        def told(verdict: Verdict | None) -> tuple:
            return (verdict.answer, verdict.label, verdict.evidence) if verdict else ()

        same = (
            old is not None
            and list(old[1]) == list(devices)
            and list(old[2]) == list(verdicts)
            and all(shown(devices[d]) == shown(old[1][d]) for d in self.changed_devices if d in devices)
            and all(verdicts[d] is old[2][d] or told(verdicts[d]) == told(old[2][d]) for d in self.verdicts_made if d in verdicts)
        )
        lineup = old[0] if old is not None and same else plan_lineup(devices, verdicts)
        self.new["lineup"] = (lineup, devices, verdicts)
        return lineup

    def device_pages(
        self,
        devices: dict[str, Any],
        claims: dict[str, ClaimView],
        events_of: dict[str, list],
        verdicts: dict[str, Verdict],
        pairs_of: dict,
    ) -> list[Page]:
        """Return each device's page in the devices' order. With last time's list, the same devices in
        the same order and the same events by device, only the pages of devices whose file, claim views,
        verdict or disagreements may have changed are looked at again; the others are last time's."""
        # (the devices' ids in order, their pages, the events by device, each id's place, the verdicts' devices)
        old = self.old.get("device list")
        ids = list(devices)

        def made(device_id: str) -> Page:
            device = devices[device_id]
            local = self.device_context(device_id, device, claims, events_of.get(device_id, ()), verdicts.get(device_id), pairs_of)
            before = self.old.get("device page", {}).get(device_id)
            if before is None or before.context is not local or before.title != device.name:
                before = Page(f"devices/{device_id}/", "device.html", device.name, local)
            self.new["device page"][device_id] = before
            return before

        if old is not None and old[0] == ids and old[2] == events_of and old[4] == verdicts.keys() and "device pages" in self.old:
            self.new["device pages"], self.new["device page"] = dict(self.old["device pages"]), dict(self.old["device page"])
            pages, place = list(old[1]), old[3]
            views = {key.id for key in self.remade_views if key.kind == "device"}
            for device_id in (self.changed_devices | views | self.pairs_changed() | self.verdicts_made) & devices.keys():
                pages[place[device_id]] = made(device_id)
        else:
            self.new["device pages"], self.new["device page"] = {}, {}
            pages, place = [made(device_id) for device_id in ids], {device_id: n for n, device_id in enumerate(ids)}
        self.new["device list"] = (ids, pages, events_of, place, verdicts.keys())
        return pages

    def device_context(
        self, device_id: str, device: Any, claims: dict[str, ClaimView], related: Any, verdict: Verdict | None, pairs_of: dict[str, list]
    ) -> dict[str, Any]:
        """Return what a device page shows besides the shared tables; the same dict as last time if nothing in it changed."""
        views = self.new["views"].get(Key("device", device_id))
        old = self.old.get("device pages", {}).get(device_id)
        same_facts = old is not None and old[0] is device and old[1] is views
        if (
            same_facts
            and device_id not in self.pairs_changed()
            and old[2]["verdict"] is verdict
            and _same_items(related, old[2]["related_events"])
        ):
            self.new.setdefault("device pages", {})[device_id] = old
            return old[2]
        if same_facts:
            facts = old[2]["facts"]
        else:
            facts = sorted((claims[c.id] for c in device.facts), key=lambda v: v.claim.date.sort_key)
        local = {
            "device_id": device_id,
            "device": device,
            "facts": facts,
            "related_events": list(related),
            "verdict": verdict,
            "disagreements": pairs_touching(pairs_of, [c.id for c in device.facts]),
        }
        if old is not None and _same_values(local, old[2]):
            local = old[2]
        self.new.setdefault("device pages", {})[device_id] = (device, views, local)
        return local

    def pairs_changed(self) -> set[str]:
        """Return the devices whose disagreement pairs may have changed: those holding a claim whose
        view changed, whose contradictions changed, or that contradicts a claim whose view changed."""
        if self._pairs_changed is None:
            contradicted = self.new["relations"][1]
            touched = self.changed_claims | self.related_changed
            touched |= {other for cid in touched for other in contradicted.get(cid, ())}
            owners = (self.content.claims[cid].owner for cid in touched if cid in self.content.claims)
            self._pairs_changed = {owner.id for owner in owners if owner.kind == "device"}
        return self._pairs_changed

    def pairs(self, name: str, claims: dict[str, ClaimView], only: set[str] | None, contradicting: list[str]) -> list:
        """Return disagreement_pairs(claims, only), last time's list while no claim in a contradiction changed."""
        old = self.old.get("pairs " + name)
        contradicted = self.new["relations"][1]
        # A contradiction that came or went, or a claim in one whose view changed, changes the pairs.
        if old is None or old[0] != only or self.related_changed or any(cid in contradicted for cid in self.changed_claims):
            old = (only, disagreement_pairs(claims, only, contradicting))
        self.new["pairs " + name] = old
        return old[1]

    def timeline(self, events: list[ClaimView], background: list[ClaimView], as_of: Any) -> Any:
        """Return plan_timeline's picture, last time's while the events, the background and the date are."""
        old = self.old.get("timeline")
        if old is None or not (_same_items(events, old[0]) and _same_items(background, old[1]) and old[2] == as_of):
            old = (events, background, as_of, plan_timeline(events, background, as_of))
        self.new["timeline"] = old
        return old[3]

    def pairs_by_claim(self, every_pair: list) -> dict[str, list]:
        """Return the disagreement pairs each claim is in; last time's while the pairs are last time's list."""
        old = self.old.get("pairs by claim")
        if old is None or old[0] is not every_pair:
            pairs_of: dict[str, list] = {}
            for pair in every_pair:
                for cid in dict.fromkeys(view.id for view in pair):
                    pairs_of.setdefault(cid, []).append(pair)
            old = (every_pair, pairs_of)
        self.new["pairs by claim"] = old
        return old[1]

    def source_context(self, source_id: str, source: Any, passages: dict[str, list[Passage]]) -> dict[str, Any]:
        """Return what a source page shows besides the shared tables, its paragraphs split again only when its text or passages changed."""
        content = self.content
        text = content.texts.get(source.file, "")
        marked = passages.get(source_id, [])
        old = self.old.get("source pages", {}).get(source_id)
        if old is not None and old[0] is source and old[1] == text and old[2] is marked and old[3] == content.sizes.get(source.file):
            local = old[4]
        else:
            local = {
                "source_id": source_id,
                "source": source,
                "size": content.sizes.get(source.file),
                "paragraphs": split_paragraphs(text, marked),
                "passages": marked,
            }
        self.new.setdefault("source pages", {})[source_id] = (source, text, marked, content.sizes.get(source.file), local)
        return local

    def newest(self, claims: dict[str, ClaimView]) -> tuple[list[ClaimView], str]:
        """Return the claims the feed shows, newest first as it orders them, and the latest full date
        of any claim; the order and the dates are kept between rebuilds."""
        old = self.old.get("newest")
        if old is None:
            order = sorted(((v.claim.date.sort_key, v.id) for v in claims.values()), reverse=True)
            dates = Counter(v.claim.date.iso_full for v in claims.values())
        elif all(
            cid in claims and cid in self.old["claims"] and claims[cid].claim.date == self.old["claims"][cid].claim.date
            for cid in self.changed_claims
        ):
            order, dates = old, self.old["dates"]  # no claim came, went or moved: the very list of last time
        else:
            dates = Counter(self.old["dates"])
            order = list(old)
            old_claims = self.old.get("claims", {})
            for cid in self.changed_claims:
                if cid in old_claims:
                    gone = old_claims[cid].claim.date
                    del order[_index_descending(order, (gone.sort_key, cid))]
                    dates[gone.iso_full] -= 1
                if cid in claims:
                    date = claims[cid].claim.date
                    item = (date.sort_key, cid)
                    order.insert(_insertion_descending(order, item), item)
                    dates[date.iso_full] += 1
            dates = +dates  # without the dates no claim has any more
        self.new.update(newest=order, dates=dates)
        return [claims[cid] for _, cid in order[:FEED_ENTRIES]], max(dates, default="")


def _insertion_descending(order: list, item: tuple) -> int:
    """Return where `item` goes in a list sorted in descending order."""
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        if order[mid] > item:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _index_descending(order: list, item: tuple) -> int:
    at = _insertion_descending(order, item)
    assert order[at] == item
    return at


def _same_items(a: Any, b: list) -> bool:
    """Return whether a sequence holds the same objects as a list, in order."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _same_values(a: dict, b: dict) -> bool:
    """Return whether two dicts hold the same objects under the same keys (lists compared item by item)."""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, list) and isinstance(other, list):
            if len(value) != len(other) or any(x is not y and x != y for x, y in zip(value, other, strict=True)):
                return False
        elif value is not other:
            return False
    return True


@dataclass
class _FileQuotes:
    """A file's quotes found, by source, and its claims' supersedes and contradicts, kept with its checks."""

    part: Any  # the file's FileChecks
    by_source: dict[str, list]  # source id -> [(match, (claim id, citation index))]
    relations: list | None = None  # [(claim id, supersedes, contradicts)] of its claims that have either


def claim_view(
    content: Any, cid: str, landing: dict[str, dict], superseded_by: dict[str, str], contradicted: dict[str, list[str]]
) -> ClaimView:
    """Return one claim as pages show it: its owner's title, its place, its citations landing on passages."""
    located = content.claims[cid]
    sources = content.sources
    if located.owner.kind == "history" and located.path[0] == "background":
        owner_title, page_url = N_("Background"), "background/"
    elif located.owner.kind == "history":
        owner_title, page_url = N_("Partnership history"), "history/"
    else:
        device_id = located.owner.id
        owner_title, page_url = content.devices[device_id].name, f"devices/{device_id}/"
    citations = tuple(
        CitationView(
            source=c.source,
            source_title=sources[c.source].title,
            quote=c.quote,
            translation=c.translation,
            lang=sources[c.source].language,
            href=f"sources/{c.source}/#{landing[c.source][(cid, i)]}",
            passage=landing[c.source][(cid, i)],
            translation_de=c.translation_de,
        )
        for i, c in enumerate(located.claim.citations)
    )
    return ClaimView(
        located.claim,
        owner_title,
        f"{page_url}#{cid}",
        citations,
        superseded_by.get(cid),
        tuple(sorted(set(contradicted.get(cid, ())))),
    )


def german_page(page: Page, content) -> Page:
    """Return the German edition's version of an English page: the same context under de/, with
    the German free page (or, until there is one, the English one, marked) in place of the English."""
    # Made field by field: dataclasses.replace looks the fields up again for each of thousands of pages.
    german = Page(
        FOLDER[GERMAN] + page.url,
        page.template,
        page.title,
        page.context,
        page.in_sitemap,
        GERMAN,
        page.ui_title,
        page.anywhere,
        page.needs_base_url,
    )
    if page.template == "home.html":
        return replace(german, title=content.site.title_de or content.site.title)
    if page.template != "page.html":
        return german
    slug = page.url[:-1]
    translated = content.pages_de.get(slug)
    if translated is None:
        return replace(german, context={**page.context, "untranslated": True})
    meta, body = translated
    return replace(german, title=meta.title, context={**page.context, "meta": meta, "body": body, "untranslated": False})


LATEST_EVENTS = 6


def latest_events(events: list[ClaimView]) -> list[ClaimView]:
    """Return the newest events, newest first, each placed at the last day its date may mean:
    a statement known only to "2022" but made after a July launch is not older than it."""

    def newest(view: ClaimView) -> tuple:
        return (view.claim.date.last_day, view.claim.date.first_day, view.id)

    return sorted(events, key=newest, reverse=True)[:LATEST_EVENTS]


def taken_urls(pages: list[Page], content) -> list[Problem]:
    """Return an error for each free page whose URL the site already uses: it would overwrite that page."""
    outputs = [page.output for page in pages]
    if len(set(outputs)) == len(outputs):  # no URL is taken twice: nothing to look for
        return []
    count = Counter(outputs)
    problems: dict[Key, Problem] = {}  # one per file: a German page shown from the English file clashes with it
    for page in pages:
        if page.template == "page.html" and count[page.output] > 1:
            slug = page.path[:-1]
            key = (
                Key("page", f"{slug}.de") if page.lang != ENGLISH and Key("page", f"{slug}.de") in content.documents else Key("page", slug)
            )
            problems.setdefault(
                key,
                content.documents[key].problem((), f"the page name '{slug}' is taken by the site's own /{page.path} page; rename the file"),
            )
    return list(problems.values())


# A feed reader wants what is new, not the whole site: a site of thousands of claims would feed
# megabytes on every poll. facts.json has them all.
FEED_ENTRIES = 100


def plan_publishing(pages: list[Page], claims: dict[str, ClaimView], site, newest: tuple[list[ClaimView], str] | None = None) -> list[Page]:
    """Return the files for crawlers and feed readers: sitemap, Atom feed (the newest claims), robots.txt.
    `newest`, when known, are the claims the feed shows, newest first, and the latest full date of any claim."""
    if newest is None:
        entries = sorted(claims.values(), key=lambda v: (v.claim.date.sort_key, v.id), reverse=True)
        newest = entries[:FEED_ENTRIES], max([v.claim.date.iso_full for v in entries], default="")
    # The feed changes when the content does, never with the clock.
    updated = max(site.as_of.iso_full, newest[1])
    langs = editions(site)
    # One sitemap for both editions: each page once per edition, each naming all its versions.
    found = [p for p in pages if p.in_sitemap and p.lang == ENGLISH]
    feeds = [
        Page(
            FOLDER[lang] + "feed.xml",
            "feed.xml",
            N_("Events and claims"),
            {"entries": newest[0], "updated": updated},
            in_sitemap=False,
            lang=lang,
            ui_title=True,
            needs_base_url=True,
        )
        for lang in langs
    ]
    return [
        Page("sitemap.xml", "sitemap.xml", "Sitemap", {"pages": found, "editions": langs}, in_sitemap=False, needs_base_url=True),
        *feeds,
        Page("robots.txt", "robots.txt", "robots.txt", {}, in_sitemap=False),
    ]


def entry_verdict(content, entry: Any, claims: dict[str, ClaimView], superseded_by: dict[str, str]) -> Verdict:
    """Return one Europe entry's verdict."""
    chain = sorted((claims[cid] for cid in dict.fromkeys(entry.claims)), key=lambda v: (v.claim.date.sort_key, v.id))
    device = content.devices.get(entry.device)
    deciding: tuple[ClaimView, ...]
    if device is not None and device.shipped_as in content.devices:
        # A name that was never used is no phone kept out of Europe: the answer is the other device's.
        answer, deciding = "name-not-used", ()
        evidence = SHIPPED_AS % {"name": content.devices[device.shipped_as].name}
    else:
        answer, deciding = decide([v for v in chain if v.id not in superseded_by])
        kinds = DISAGREEING if answer == "disputed" else EVIDENCE
        evidence = kinds[deciding[0].claim.standing] if deciding else NO_STANCE
    return Verdict(
        entry.device,
        answer,
        ANSWERS[answer],
        evidence,
        entry.reasoning,
        entry.reading,
        tuple(chain),
        deciding,
        entry.reasoning_de,
        entry.reading_de,
    )


def decide(chain: list[ClaimView]) -> tuple[str, tuple[ClaimView, ...]]:
    """Return the Europe answer of a chain of claims, and the claims that decide it.

    The rule, independent of any order in the content: of the claims that take a stance, the
    latest win: every claim not certainly older than another (a date known only to the month
    or year spans all of it). Of those, the strongest standing wins: official, report, opinion,
    rumour. If those agree, theirs is the answer; if not, the answer is "disputed".
    """
    stances = [v for v in chain if v.claim.europe]
    if not stances:
        return "unclear", ()
    bounds = {v.id: (v.claim.date.first_day, v.claim.date.last_day) for v in stances}
    newest_start = max(first for first, _ in bounds.values())
    latest = [v for v in stances if bounds[v.id][1] >= newest_start]
    strongest = min(STANDINGS.index(v.claim.standing) for v in latest)
    deciding = tuple(sorted((v for v in latest if STANDINGS.index(v.claim.standing) == strongest), key=lambda v: v.id))
    answers = {str(v.claim.europe) for v in deciding}
    return (answers.pop() if len(answers) == 1 else "disputed"), deciding


def pairs_touching(pairs_of: dict[str, list], ids: list[str]) -> list[tuple[ClaimView, ClaimView]]:
    """Return the disagreement pairs that involve any of `ids`, in disagreement_pairs' order."""
    found = {(a.id, b.id): (a, b) for cid in ids for a, b in pairs_of.get(cid, ())}
    return [found[k] for k in sorted(found)]


def disagreement_pairs(
    claims: dict[str, ClaimView], only: set[str] | None = None, candidates: Iterable[str] | None = None
) -> list[tuple[ClaimView, ClaimView]]:
    """Return each pair of claims that contradict each other (once), older claim first. `candidates`,
    when known, are the ids of the claims that contradict another, in the claims' order."""
    pairs = {}
    for view in claims.values() if candidates is None else (claims[cid] for cid in candidates):
        if view.claim.contradicts:
            a, b = sorted((view, claims[view.claim.contradicts]), key=lambda v: (v.claim.date.sort_key, v.id))
            if only is None or a.id in only or b.id in only:
                pairs[(a.id, b.id)] = (a, b)
    return [pairs[k] for k in sorted(pairs)]


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    passage: Passage | None = None
    first: bool = False  # the piece that carries the passage's anchor


# A blank line ends a paragraph, whatever the line endings (a seed saved on Windows has \r\n).
_BLANK_LINE = re.compile(r"\r?\n[ \t\r]*\n")


def split_paragraphs(text: str, passages: list[Passage]) -> list[list[Piece]]:
    """Return the source's paragraphs as runs of plain and highlighted text."""
    paragraphs: list[list[Piece]] = []
    blocks, position = [], 0
    for blank in _BLANK_LINE.finditer(text):
        blocks.append((position, blank.start()))
        position = blank.end()
    blocks.append((position, len(text)))
    for start, end in blocks:
        block = text[start:end]
        if not block.strip():
            continue
        pieces, cursor = [], start
        for passage in passages:
            lo, hi = max(passage.start, start), min(passage.end, end)
            if lo >= hi:
                continue
            if lo > cursor:
                pieces.append(Piece(text[cursor:lo]))
            pieces.append(Piece(text[lo:hi], passage, first=lo == passage.start))
            cursor = hi
        if cursor < end:
            pieces.append(Piece(text[cursor:end]))
        paragraphs.append(pieces)
    return paragraphs
