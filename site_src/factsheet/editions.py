"""The site's editions: English at the root, German under de/. Which text each edition shows, and
the check that every English text has its German twin.

Content keeps both languages in one record: a text's German version is the same key with `_de`
after it (`text` and `text_de`, `summary` and `summary_de`), a quote's German rendering is
`translation_de` beside the English `translation`, and a free page's German version is the same
file name with `.de` before `.md`. A German text that is missing falls back to the English one,
which the page marks as not yet translated (and as `lang="en"`); `check` warns about each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .load import Document, Key
from .model import Device, EuropeEntry, Record, Relay, Site, Source
from .problems import Problem
from .validate import Content

ENGLISH = "en"
GERMAN = "de"
SUFFIX = {GERMAN: "_de"}  # the key suffix of each edition's texts; English texts have none
FOLDER = {ENGLISH: "", GERMAN: "de/"}  # where each edition lives in the site


def editions(site: Site) -> tuple[str, ...]:
    """Return the site's editions, English first: ("en",) or ("en", "de")."""
    return (ENGLISH, *(lang for lang in (GERMAN,) if lang in site.translations))


_TWINS: dict[type, tuple[str, ...]] = {}  # asked once per record: a large site has hundreds of thousands


def twins(model: type[BaseModel | Record]) -> tuple[str, ...]:
    """Return the keys of `model` that have a German twin: `text` for `text_de`."""
    found = _TWINS.get(model)
    if found is None:
        fields = model.model_fields
        found = _TWINS[model] = tuple(name[:-3] for name in fields if name.endswith("_de") and name[:-3] in fields)
    return found


@dataclass(frozen=True, slots=True)
class Shown:
    """A text as one edition shows it: in the edition's language, or the English one marked as a fallback."""

    value: Any  # a text, or a list of texts (a device's markets)
    lang: str
    fallback: bool = False  # the German is missing: the English is shown, marked as not yet translated


def shown(record: Any, key: str, lang: str) -> Shown | None:
    """Return the text `record.key` in `lang`, the English one as a fallback, or None when there is neither."""
    english = getattr(record, key)
    if lang == ENGLISH or not english:
        return Shown(english, ENGLISH) if english else None
    translated = getattr(record, key + SUFFIX[lang])
    return Shown(translated, lang) if translated else Shown(english, ENGLISH, fallback=True)


def quote_translation(quote_lang: str, english: str | None, german: str | None, lang: str) -> Shown | None:
    """Return the site's own rendering of a quote in `quote_lang` for the `lang` edition: none when
    the reader reads the quote's language; the English rendering as a fallback for a missing German one."""
    if quote_lang.split("-")[0] == lang:
        return None
    if lang == ENGLISH:
        return Shown(english, ENGLISH) if english else None
    if german:
        return Shown(german, lang)
    if english and not quote_lang.startswith(ENGLISH):
        return Shown(english, ENGLISH, fallback=True)
    return None


MISSING = (
    "no German text for '{key}'; add '{key}_de:' beside it (until then the German edition shows the English, marked as not yet translated)"
)


def has_german(content: Content) -> bool:
    return content.site is not None and GERMAN in content.site.translations


def missing_german(doc: Document, path: tuple, record: Any, model: type[BaseModel | Record]) -> list[Problem]:
    """Return a warning for each English text of `record` without its German twin."""
    problems = []
    for key in twins(model):
        if model is Source and key == "title":  # a headline is shown as printed; title_de only adds a rendering
            continue
        if getattr(record, key) and not getattr(record, key + "_de"):
            problems.append(doc.problem(path + (key,), MISSING.format(key=key), severity="warning"))
    return problems


def site_translations(content: Content) -> list[Problem]:
    """Return the warnings of site.yaml and the sources, and German pages without an English one."""
    problems: list[Problem] = [
        content.documents[Key("page", f"{slug}.de")].problem(
            (), f"a German page with no English one; add content/pages/{slug}.md, or rename this file if it is a typo"
        )
        for slug in sorted(set(content.pages_de) - set(content.pages))
    ]
    if content.site is None or not has_german(content):
        return problems
    site_doc = content.documents[Key("site")]
    if content.site.language != ENGLISH:
        problems.append(
            site_doc.problem(
                ("language",),
                "a site with a German edition keeps its own texts in English (`text`, with `text_de` beside it): write `language: en`",
            )
        )
    problems += missing_german(site_doc, (), content.site, Site)
    for source_id, source in sorted(content.sources.items()):
        doc = content.documents[Key("source", source_id)]
        problems += missing_german(doc, (), source, Source)
        for index, relay in enumerate(source.relays):
            problems += missing_german(doc, ("relays", index), relay, Relay)
    return problems


def device_translations(content: Content, device_id: str) -> list[Problem]:
    return missing_german(content.documents[Key("device", device_id)], (), content.devices[device_id], Device)


def claim_translations(content: Content, located: Any) -> list[Problem]:
    """Return the warnings of one fact or event (a LocatedClaim): its texts and its quotes' German renderings."""
    problems = missing_german(located.document, located.path, located.claim, type(located.claim))
    for index, citation in enumerate(located.claim.citations):
        if citation.source not in content.sources:
            continue  # an unknown source: reported by check_citations
        source = content.sources[citation.source]
        path = located.path + ("citations", index)
        german = source.language.split("-")[0] == GERMAN
        if citation.translation_de is None and not german:
            problems.append(
                located.document.problem(
                    path + ("quote",),
                    f"the quote is in '{source.language}' and has no German translation; add `translation_de:` with the site's own German rendering beside `quote:`",
                    severity="warning",
                )
            )
        elif citation.translation_de is not None and german:
            problems.append(
                located.document.problem(
                    path + ("translation_de",), "the quote is already in German; remove `translation_de:`", severity="warning"
                )
            )
    return problems


def europe_translations(content: Content) -> list[Problem]:
    problems: list[Problem] = []
    if content.europe is not None:
        for index, entry in enumerate(content.europe.devices):
            problems += missing_german(content.documents[Key("europe")], ("devices", index), entry, EuropeEntry)
    return problems


def page_translations(content: Content) -> list[Problem]:
    return [
        content.documents[Key("page", slug)].problem(
            (),
            f"no German version of this page; add content/pages/{slug}.de.md (until then the German edition shows the English, marked as not yet translated)",
            severity="warning",
        )
        for slug in sorted(set(content.pages) - set(content.pages_de))
    ]
