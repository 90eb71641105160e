"""What the published site offers machines: the facts export and schema.org data (part of render)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from .editions import FOLDER, GERMAN, editions
from .model import Event, PartialDate, Site
from .plan import ClaimView, Page, SitePlan

# Bump when a field changes meaning or disappears; added fields keep the version.
# The contract is schema/facts-export.schema.json, described in docs/export.md.
SCHEMA_VERSION = 2  # 2: decided_by lists every deciding fact (a disputed answer has several)


def written_date(date: PartialDate) -> str:
    """Return a date as editors write it: `2022-07`, `late 2022-03`, `2022-04/2022-06`."""
    return date.written


def export_fact(view: ClaimView, base: str, superseded_by: str | None, german: bool = False) -> dict[str, Any]:
    claim = view.claim
    event = claim if isinstance(claim, Event) else None
    # A device's fact lives on its page, devices/<id>/; an event names its devices.
    devices = list(event.devices) if event else [view.href.split("/")[1]]
    return {
        "id": claim.id,
        "kind": ("background" if view.href.startswith("background/") else "event") if event else "device-fact",
        "title": event.title if event else None,
        "text": claim.text,
        # Both editions' texts: None where the German is not written yet (the German page shows the English).
        "title_de": event.title_de if event else None,
        "text_de": claim.text_de,
        "date": written_date(claim.date),
        "standing": claim.standing,
        "europe": claim.europe,
        "supersedes": claim.supersedes,
        "superseded_by": superseded_by,
        "contradicts": claim.contradicts,
        "devices": devices,
        "url": base + view.href,
        **({"url_de": base + FOLDER[GERMAN] + view.href} if german else {}),
        "citations": [
            {
                "source": c.source,
                "source_title": c.source_title,
                "quote": c.quote,
                "language": c.lang,
                "translation": c.translation,
                "translation_de": c.translation_de,
                "passage": c.passage,
                "url": base + c.href,
            }
            for c in view.citations
        ],
    }


def export_facts(plan: SitePlan, site: Site, base_url: str, kept: dict | None = None) -> bytes:
    """Return facts.json whole (see facts_json)."""
    return b"".join(facts_json(plan, site, base_url, kept))


# facts.json is handed on in pieces of about this many bytes: few writes, little held at once.
PIECE = 1 << 20


def facts_json(plan: SitePlan, site: Site, base_url: str, kept: dict | None = None) -> Iterable[bytes]:
    """Return facts.json in pieces: every fact with its citations and every Europe verdict, in a stable order.

    URLs are absolute when the base URL is known, otherwise relative to facts.json (the site root).
    Without `kept` the facts are encoded one by one, straight to UTF-8, and handed on a piece of about
    PIECE bytes at a time, so a build never holds the file (91 MB at 10,000 devices) or its facts'
    encodings. `kept` (serve keeps one between rebuilds) holds each fact and each verdict as encoded
    last time, so only those an edit changed are encoded again; the pieces are then a list of those
    encodings and the commas between them, never joined here (serve joins them when facts.json is asked
    for). The bytes are what json.dumps writes with sorted keys and these separators.
    """
    german = GERMAN in editions(site)
    facts = _encoded_facts(plan, base_url, german, kept)
    verdicts = _encoded_verdicts(plan, base_url, german, kept)
    data = {
        "schema_version": SCHEMA_VERSION,
        "site": {
            "title": site.title,
            "description": site.description,
            "language": site.language,
            "languages": list(editions(site)),
            "title_de": site.title_de,
            "description_de": site.description_de,
            "as_of": written_date(site.as_of),
            "base_url": base_url,
        },
        "facts": facts,
        "europe": verdicts,
    }
    return _streamed(data) if kept is None else _listed(data)


def _listed(data: dict) -> list[bytes]:
    """Return facts.json's pieces: the kept encodings with a comma between each two (a slice assignment, not a loop)."""
    pieces: list[bytes] = []
    piece = b"{"
    for index, key in enumerate(sorted(data)):
        piece += (("," if index else "") + _encode(key) + ":").encode("utf-8")
        if key in ("facts", "europe"):
            pieces.append(piece + b"[")
            encodings = data[key]
            if encodings:
                between = [b","] * (2 * len(encodings) - 1)
                between[0::2] = encodings
                pieces += between
            piece = b"]"
        else:
            piece += _encode(data[key]).encode("utf-8")
    pieces.append(piece + b"}\n")
    return pieces


def _streamed(data: dict) -> Iterator[bytes]:
    """Yield facts.json in pieces of about PIECE bytes, encoding each fact as it is asked for."""
    piece = bytearray(b"{")
    for index, key in enumerate(sorted(data)):
        piece += (("," if index else "") + _encode(key) + ":").encode("utf-8")
        if key in ("facts", "europe"):
            piece += b"["
            for number, encoded in enumerate(data[key]):
                if number:
                    piece += b","
                piece += encoded
                if len(piece) >= PIECE:
                    yield bytes(piece)
                    piece.clear()
            piece += b"]"
        else:
            piece += _encode(data[key]).encode("utf-8")
    piece += b"}\n"
    yield bytes(piece)


def _encoded_verdicts(plan: SitePlan, base_url: str, german: bool, kept: dict | None) -> Iterable[bytes]:
    """Return or yield each Europe verdict encoded, by device; reusing and keeping those in `kept`, if given."""
    if kept is None:
        return (encode_json(export_verdict(verdict, base_url, german)) for _, verdict in sorted(plan.verdicts.items()))
    kept_verdicts = kept.setdefault("europe", {})
    last = kept.get("europe order")  # (plan serial, base URL, German, the plan's verdicts, the encoded verdicts, each device's place)
    if (
        last is not None
        and plan.since >= 0
        and last[0] == plan.since
        and last[1:3] == (base_url, german)
        and last[3].keys() == plan.verdicts.keys()
    ):
        # The same devices: only the verdicts the plan decided again may be other objects.
        verdicts, place = list(last[4]), last[5]
        for device in plan.verdicts_made:
            verdict = plan.verdicts[device]
            if kept_verdicts[device][0] is not verdict:
                kept_verdicts[device] = (verdict, base_url, german, encode_json(export_verdict(verdict, base_url, german)))
                verdicts[place[device]] = kept_verdicts[device][3]
        kept["europe order"] = (plan.serial, base_url, german, plan.verdicts, verdicts, place)
        return verdicts
    ordered = sorted(plan.verdicts.items())
    verdicts = []
    for device, verdict in ordered:
        known = kept_verdicts.get(device)
        if known is None or known[0] is not verdict or known[1] != base_url or known[2] != german:
            known = kept_verdicts[device] = (verdict, base_url, german, encode_json(export_verdict(verdict, base_url, german)))
        verdicts.append(known[3])
    for gone in kept_verdicts.keys() - plan.verdicts.keys():
        del kept_verdicts[gone]
    kept["europe order"] = (plan.serial, base_url, german, plan.verdicts, verdicts, {device: n for n, (device, _) in enumerate(ordered)})
    return verdicts


def _encoded_facts(plan: SitePlan, base_url: str, german: bool, kept: dict | None) -> Iterable[bytes]:
    """Return or yield each fact encoded, in facts.json's order: the oldest first, ties by id.

    Without `kept` each is encoded as it is asked for and not held. After a plan made from the one
    whose facts `kept` holds, in the same order, only the facts whose views changed are encoded
    again; otherwise each fact whose view is not the one kept.
    """
    if kept is None:
        return (encode_json(export_fact(view, base_url, view.superseded_by, german)) for view in _oldest_first(plan))
    kept_facts = kept.setdefault("facts", {})
    last = kept.get("order")  # (plan serial, its order, base URL, German, the encoded facts, each id's place)
    if last is not None and plan.since >= 0 and last[0] == plan.since and last[1] is plan.newest and last[2:4] == (base_url, german):
        facts, place = list(last[4]), last[5]
        for cid in plan.changed:
            view = plan.claims[cid]
            facts[place[cid]] = encode_json(export_fact(view, base_url, view.superseded_by, german))
            kept_facts[cid] = (view, base_url, german, facts[place[cid]])
        kept["order"] = (plan.serial, plan.newest, base_url, german, facts, place)
        return facts
    ordered = _oldest_first(plan)
    facts = []
    for view in ordered:
        known = kept_facts.get(view.id)
        if known is None or known[0] is not view or known[1] != base_url or known[2] != german:
            known = kept_facts[view.id] = (view, base_url, german, encode_json(export_fact(view, base_url, view.superseded_by, german)))
        facts.append(known[3])
    for gone in kept_facts.keys() - plan.claims.keys():
        del kept_facts[gone]
    kept["order"] = (plan.serial, plan.newest, base_url, german, facts, {view.id: n for n, view in enumerate(ordered)})
    return facts


def _oldest_first(plan: SitePlan) -> list[ClaimView]:
    # The plan keeps the claims sorted newest first between rebuilds; without it they are sorted here.
    if plan.newest:
        return [plan.claims[cid] for _, cid in reversed(plan.newest)]
    return sorted(plan.claims.values(), key=lambda v: (v.claim.date.sort_key, v.id))


def export_verdict(v: Any, base_url: str, german: bool) -> dict[str, Any]:
    """Return one Europe verdict as facts.json has it."""
    return {
        "device": v.device,
        "answer": v.answer,
        "label": v.label,
        "evidence": v.evidence,
        "reasoning": v.reasoning,
        "reading": v.reading,
        "reasoning_de": v.reasoning_de,
        "reading_de": v.reading_de,
        "decided_by": [c.id for c in v.deciding],
        "facts": [c.id for c in v.chain],
        "url": f"{base_url}europe/#{v.device}",
        **({"url_de": f"{base_url}{FOLDER[GERMAN]}europe/#{v.device}"} if german else {}),
    }


def _encode(data: Any) -> str:
    # One line, no indent: json's C encoder then does the work (indent falls back to pure Python).
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def encode_json(data: Any) -> bytes:
    """Return `data` as UTF-8 JSON, byte for byte what _encode (the json module, the reference) writes.

    orjson writes the same bytes for what a fact holds (text, ints, None, lists, string keys) about
    five times faster; what it refuses (a lone surrogate, which YAML's "\\ud800" can make) goes to
    the reference. tests/test_publish.py compares the two.
    """
    try:
        # Copied into a bytes object of its own size: orjson's keeps the larger block it wrote into,
        # which for the 100,000 entries of a large site held 300 MB more than their bytes.
        return bytes(memoryview(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)))
    except (orjson.JSONEncodeError, TypeError):
        return _encode(data).encode("utf-8")


def structured_data(page: Page, site: Site, base_url: str) -> dict[str, Any] | None:
    """Return the schema.org description of `page` where a type fits, else None.

    Device pages get none: most phones here are rumoured or announced, not Products on sale.
    """
    if page.template == "home.html":
        german = page.lang == GERMAN
        website = {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": (german and site.title_de) or site.title,
            "description": (german and site.description_de) or site.description,
            "inLanguage": page.lang,
        }
        return {**website, "url": base_url + page.url} if base_url else website
    if page.template == "source.html":
        # The page is an archived copy: describe the original article and point at the archive.
        source = page.context["source"]
        article: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": source.title,
            "inLanguage": source.language,
        }
        if source.title_en and source.title_en != source.title:
            article["alternativeHeadline"] = source.title_en
        if source.published:
            article["datePublished"] = source.published.iso
        if source.publisher:
            article["publisher"] = {"@type": "Organization", "name": source.publisher}
        if source.url:
            article["url"] = source.url
        if base_url:
            article["archivedAt"] = base_url + page.url
        return article
    return None
