"""Stage 4, plan: derive every page, its URL and context, the back-links and the Europe verdicts."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from .editions import ENGLISH, FOLDER, GERMAN, editions
from .i18n import N_
from .model import Claim, Event, Site
from .problems import ContentError
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
SHIPPED_AS = N_("shipped as the %(name)s")
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

    @property
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
    pages: list[Page]
    claims: dict[str, ClaimView]
    verdicts: dict[str, Verdict]
    passages: dict[str, list[Passage]]
    site: Site  # what every page says of the site itself: title, language, "as of"

    @property
    def html_pages(self) -> int:
        """How many readers' pages the site has (sitemap, feed and robots.txt are files, not pages)."""
        return sum(page.output.endswith(".html") for page in self.pages)


def passage_id(text: str) -> str:
    """Return a stable anchor for a passage: it changes only when the passage's words do."""
    return "p-" + hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:10]


def plan_passages(verified: Verified) -> tuple[dict[str, list[Passage]], dict[tuple[str, int], str]]:
    """Return each source's merged passages, and the passage each citation lands on."""
    by_source: dict[str, list[tuple[Match, tuple[str, int]]]] = {}
    for key, match in verified.matches.items():
        by_source.setdefault(match.source, []).append((match, key))
    passages: dict[str, list[Passage]] = {}
    landing: dict[tuple[str, int], str] = {}
    for source_id, items in sorted(by_source.items()):
        text = verified.content.texts[verified.content.sources[source_id].file]
        items.sort(key=lambda item: (item[0].start, item[0].end))
        groups: list[list] = []
        for match, key in items:
            if groups and match.start < groups[-1][1]:
                groups[-1][1] = max(groups[-1][1], match.end)
                groups[-1][2].append(key)
            else:
                groups.append([match.start, match.end, [key]])
        passages[source_id] = []
        for start, end, keys in groups:
            pid = passage_id(text[start:end])
            claim_ids = tuple(dict.fromkeys(k[0] for k in keys))
            quoted = [verified.content.claims[c].claim.citations[i] for c, i in keys]
            ordered = sorted(quoted, key=lambda c: c.quote)
            translations = tuple(dict.fromkeys(c.translation for c in ordered if c.translation))
            translations_de = tuple(dict.fromkeys(c.translation_de for c in ordered if c.translation_de))
            passages[source_id].append(Passage(pid, start, end, claim_ids, translations, translations_de))
            landing.update({k: pid for k in keys})
    return passages, landing


def plan_site(verified: Verified) -> SitePlan:
    """Return every page of the site with its context, ready for the templates."""
    content = verified.content
    sources = content.sources
    passages, landing = plan_passages(verified)

    superseded_by = {c.claim.supersedes: cid for cid, c in content.claims.items() if c.claim.supersedes}
    contradicted: dict[str, list[str]] = {}
    for cid, located in content.claims.items():
        if located.claim.contradicts:
            contradicted.setdefault(located.claim.contradicts, []).append(cid)
            contradicted.setdefault(cid, []).append(located.claim.contradicts)

    claims: dict[str, ClaimView] = {}
    for cid, located in content.claims.items():
        if located.owner == "history" and located.path[0] == "background":
            owner_title, page_url = N_("Background"), "background/"
        elif located.owner == "history":
            owner_title, page_url = N_("Partnership history"), "history/"
        else:
            device_id = located.owner.split(":", 1)[1]
            owner_title, page_url = content.devices[device_id].name, f"devices/{device_id}/"
        citations = tuple(
            CitationView(
                source=c.source,
                source_title=sources[c.source].title,
                quote=c.quote,
                translation=c.translation,
                lang=sources[c.source].language,
                href=f"sources/{c.source}/#{landing[(cid, i)]}",
                passage=landing[(cid, i)],
                translation_de=c.translation_de,
            )
            for i, c in enumerate(located.claim.citations)
        )
        claims[cid] = ClaimView(
            located.claim,
            owner_title,
            f"{page_url}#{cid}",
            citations,
            superseded_by.get(cid),
            tuple(sorted(set(contradicted.get(cid, ())))),
        )

    verdicts = plan_verdicts(content, claims, superseded_by)
    # check_project stops before plan when a required file failed, so these are all here.
    site, history = content.site, content.history
    assert site is not None and history is not None
    events = sorted((claims[e.id] for e in history.events), key=lambda v: v.claim.date.sort_key)
    # Background has no date of its own: it is never on the timeline nor among the latest events.
    background = sorted((claims[e.id] for e in history.background), key=lambda v: (v.claim.date.sort_key, v.id))
    devices = sorted(content.devices.items(), key=lambda item: (item[1].announced.sort_key if item[1].announced else (9999,), item[1].name))
    shared = {"devices": dict(devices), "sources": sources, "claims": claims, "verdicts": verdicts}

    # Indexed once, so each device page finds its share without scanning every claim and event.
    every_pair = disagreement_pairs(claims)
    pairs_of: dict[str, list] = {}
    for pair in every_pair:
        for cid in dict.fromkeys(view.id for view in pair):
            pairs_of.setdefault(cid, []).append(pair)
    events_of: dict[str, list[ClaimView]] = {}
    for event in events:
        for device_id in dict.fromkeys(event.claim.devices if isinstance(event.claim, Event) else ()):
            events_of.setdefault(device_id, []).append(event)

    pages = [
        Page(
            "",
            "home.html",
            site.title,
            {
                **shared,
                "latest_events": latest_events(events),
                "disagreements": every_pair,
            },
        )
    ]
    for device_id, device in devices:
        facts = sorted((claims[c.id] for c in device.facts), key=lambda v: v.claim.date.sort_key)
        related = list(events_of.get(device_id, ()))
        pages.append(
            Page(
                f"devices/{device_id}/",
                "device.html",
                device.name,
                {
                    **shared,
                    "device_id": device_id,
                    "device": device,
                    "facts": facts,
                    "related_events": related,
                    "verdict": verdicts.get(device_id),
                    "disagreements": pairs_touching(pairs_of, [c.id for c in device.facts]),
                },
            )
        )
    pages.append(
        Page(
            "history/",
            "history.html",
            N_("Partnership history"),
            {
                **shared,
                "events": events,
                "background": background,
                "disagreements": disagreement_pairs(claims, {e.id for e in history.events}),
            },
            ui_title=True,
        )
    )
    pages.append(
        Page(
            "background/",
            "background.html",
            N_("Background"),
            {**shared, "background": background, "disagreements": disagreement_pairs(claims, {e.id for e in history.background})},
            ui_title=True,
        )
    )
    pages.append(Page("europe/", "europe.html", N_("Will it come to Europe?"), shared, ui_title=True))
    pages.append(Page("sources/", "sources.html", N_("Sources"), {**shared, "passages": passages}, ui_title=True))
    for source_id, source in sorted(sources.items()):
        text = content.texts.get(source.file, "")
        pages.append(
            Page(
                f"sources/{source_id}/",
                "source.html",
                source.title,
                {
                    **shared,
                    "source_id": source_id,
                    "source": source,
                    "size": content.sizes.get(source.file),
                    "paragraphs": split_paragraphs(text, passages.get(source_id, [])),
                    "passages": passages.get(source_id, []),
                },
            )
        )
    for slug, (meta, body) in sorted(content.pages.items()):
        pages.append(Page(f"{slug}/", "page.html", meta.title, {**shared, "meta": meta, "body": body, "untranslated": False}))
    pages.append(Page("search/", "search.html", N_("Search"), shared, in_sitemap=False, ui_title=True))
    pages.append(Page("404.html", "404.html", N_("Page not found"), shared, in_sitemap=False, ui_title=True, anywhere=True))
    if GERMAN in editions(site):
        pages += [german_page(page, content) for page in pages]
    pages += plan_publishing(pages, claims, site)
    refuse_taken_urls(pages, content)
    return SitePlan(pages, claims, verdicts, passages, site)


def german_page(page: Page, content) -> Page:
    """Return the German edition's version of an English page: the same context under de/, with
    the German free page (or, until there is one, the English one, marked) in place of the English."""
    german = replace(page, url=FOLDER[GERMAN] + page.url, lang=GERMAN)
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


def refuse_taken_urls(pages: list[Page], content) -> None:
    """Raise ContentError for a free page whose URL the site already uses: it would overwrite that page."""
    count: dict[str, int] = {}
    for page in pages:
        count[page.output] = count.get(page.output, 0) + 1
    pages = [page for page in pages if page.lang == ENGLISH]  # a German page is taken when its English one is: one message
    problems = [
        content.documents[f"page:{page.url[:-1]}"].problem(
            (), f"the page name '{page.url[:-1]}' is taken by the site's own /{page.url} page; rename the file"
        )
        for page in pages
        if page.template == "page.html" and count[page.output] > 1
    ]
    if problems:
        raise ContentError(problems)


# A feed reader wants what is new, not the whole site: a site of thousands of claims would feed
# megabytes on every poll. facts.json has them all.
FEED_ENTRIES = 100


def plan_publishing(pages: list[Page], claims: dict[str, ClaimView], site) -> list[Page]:
    """Return the files for crawlers and feed readers: sitemap, Atom feed (the newest claims), robots.txt."""
    entries = sorted(claims.values(), key=lambda v: (v.claim.date.sort_key, v.id), reverse=True)
    # The feed changes when the content does, never with the clock.
    updated = max([site.as_of.iso_full] + [v.claim.date.iso_full for v in entries])
    langs = editions(site)
    # One sitemap for both editions: each page once per edition, each naming all its versions.
    found = [p for p in pages if p.in_sitemap and p.lang == ENGLISH]
    feeds = [
        Page(
            FOLDER[lang] + "feed.xml",
            "feed.xml",
            N_("Events and claims"),
            {"entries": entries[:FEED_ENTRIES], "updated": updated},
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


def plan_verdicts(content, claims: dict[str, ClaimView], superseded_by: dict[str, str]) -> dict[str, Verdict]:
    """Return each device's Europe answer, by the rule of `decide` over its chain of claims."""
    verdicts = {}
    for entry in content.europe.devices:
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
        verdicts[entry.device] = Verdict(
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
    return verdicts


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


def disagreement_pairs(claims: dict[str, ClaimView], only: set[str] | None = None) -> list[tuple[ClaimView, ClaimView]]:
    """Return each pair of claims that contradict each other (once), older claim first."""
    pairs = {}
    for view in claims.values():
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
