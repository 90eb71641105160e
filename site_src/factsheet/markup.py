"""The markup every page repeats per value: a fact with its citations and quotes, two facts that
disagree, a Europe answer, a date, and the bodies of the device and source pages. Python functions
the templates call (`ui.claim(view)`, `ui.device_page(...)`), since each call from Jinja into
Python costs more than the markup most of them make, and these run for every fact of every page.
The page frame (base.html) stays a template.

Each value is escaped once, with escape_html into a plain str; the markup is built as str and
made Markup once, where a template receives it. The site's own words come from the edition's
catalog as the templates' `_()` gives them: HTML-safe, formatted with escaped values. Each word is
written as `_("…")` outside any f-string, where `make i18n` finds it (Babel does not look inside
f-strings). The bytes are the ones the templates wrote before (tests/test_golden.py), white space
included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup

from .i18n import N_
from .model import PartialDate
from .pictures import SHIPPED_AS, lineup_picture

# What a device's `leica` value means to readers.
LEICA_LABELS = {
    "branded": N_("Yes, Leica-branded cameras"),
    "not-branded": N_("No"),
    "expected": N_("Expected"),
    "unknown": N_("Not stated in the sources"),
}


def escape_html(text: str) -> str:
    """Return `text` with the characters special in HTML escaped, as MarkupSafe's `escape` writes them,
    as a plain str: `escape` makes a Markup object of every value, which costs more than the escaping."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    return text


class Words:
    """One edition's own words as the templates' `_()` gives them: the translation taken as HTML
    (the catalog is ours) and always formatted, its values escaped. A word without values is
    looked up once per edition."""

    def __init__(self, gettext: Callable[[str], str]) -> None:
        self._gettext = gettext
        self._known: dict[str, Markup] = {}

    def __call__(self, message: str, **values: Any) -> Markup:
        if values:
            return Markup(self._gettext(message)) % values
        word = self._known.get(message)
        if word is None:
            word = self._known[message] = Markup(self._gettext(message)) % {}
        return word


class PageMarkup:
    """The per-value markup of one page, in its edition's language, with links relative to it.

    `edition` is the page's render.Edition, `rel` its link maker, `claims`, `devices` and
    `verdicts` what the page's template gets (facts by id for "superseded by" and "disputed by"
    links, devices by id for "shipped as", Europe answers by device).

    The parts of the home and Europe pages made per device (`glance_rows`, `cards`, `answers_index`,
    `verdict_sections`) are kept in `made`, each with the entries it was made from and what it
    read from the tables; handed back as `kept` on the next render of the same page (serve does),
    a part whose entries are the very same objects is joined again as it was."""

    def __init__(
        self,
        edition: Any,
        rel: Callable[[str], str],
        lang: str,
        claims: dict | None,
        devices: dict | None,
        verdicts: dict | None = None,
        kept: dict | None = None,
        keep: bool = True,
    ) -> None:
        self.edition = edition
        self.rel = rel
        self.lang = lang
        # Not `claims or {}`: in serve the tables note what a page reads, and taking their length
        # would make every page depend on which facts and devices exist.
        self.claims = claims if claims is not None else {}
        self.devices = devices if devices is not None else {}
        self.verdicts = verdicts if verdicts is not None else {}
        self.words: Words = edition.words
        self._times: dict[PartialDate, Markup] = edition.times
        self.kept: dict = kept if kept is not None else {}
        # Without `keep` (a build, which renders each page once) nothing is kept: the parts of the
        # home and Europe pages held until the page is done were a third of its peak.
        self.made: dict | None = {} if keep else None

    def _per_device(self, kind: str, make: Callable[[str], str]) -> Markup:
        """Return `make(device_id)` for every device, in order, each kept from the last render of
        this page while the device, its verdict and the devices its badge names are the same objects.

        A kept part's reads are noted again, so the page still depends on what it shows; in serve
        the tables are incremental.Recorders, whose `data` and `noting` these use."""
        devices, verdicts = getattr(self.devices, "data", self.devices), getattr(self.verdicts, "data", self.verdicts)
        tables = [t for t in (self.devices, self.verdicts, self.claims) if hasattr(t, "noting")]
        page_reads = [table.noting(set()) for table in tables]  # the sets this page notes into
        for table, read in zip(tables, page_reads, strict=True):
            table.noting(read)
        kept, made = self.kept.get(kind, {}), self._made(kind)
        parts = []
        noted_by_table: list[list[set]] = [[] for _ in tables]  # each part's notes, added to the page's at the end in one call
        for device_id in self.devices:  # noted: the page depends on which devices there are, in order
            verdict = verdicts.get(device_id)
            shown = (devices[device_id], verdict, *_badge_devices(verdict, devices))
            old = kept.get(device_id)
            if old is not None and _same_objects(old[0], shown):
                html, notes = old[1], old[2]
            else:
                notes = [set() for _ in tables]
                for table, read in zip(tables, notes, strict=True):
                    table.noting(read)
                try:
                    html = make(device_id)
                finally:
                    for table, read in zip(tables, page_reads, strict=True):
                        table.noting(read)
            for noted, part_notes in zip(noted_by_table, notes, strict=True):
                noted.append(part_notes)
            if made is not None:
                made[device_id] = (shown, html, notes)
            parts.append(html)
        for read, noted in zip(page_reads, noted_by_table, strict=True):
            read.update(*noted)
        return Markup("".join(parts))

    def lineup(self, lineup: Any) -> Markup:
        """Return the device line-up picture (pictures.lineup_picture), kept from the last render of
        this page while the plan's line-up is the same object (an edit to the history, say, renders
        the home page again but leaves the line-up as it was); else drawn again from the pieces of
        that drawing, so that a renamed device redraws its own box and entry."""
        old = self.kept.get("lineup")
        if old is not None and old[0] is lineup:
            html, pieces = old[1], old[2]
        else:
            pieces = dict(old[2]) if old is not None else {}
            html = lineup_picture(
                lineup, self.rel, translate=self.edition.gettext, lang=self.lang, kept=pieces if self.made is not None else None
            )
        if self.made is not None:
            self.made["lineup"] = (lineup, html, pieces)
        return html

    def glance_rows(self) -> Markup:
        """Return the home page's table rows: each device, its Europe answer and since when."""
        return self._per_device("glance", self._glance_row)

    def _glance_row(self, device_id: str) -> str:
        _ = self.words
        device, verdict = self.devices[device_id], self.verdicts.get(device_id)
        if verdict and verdict.as_of:
            as_of = f'<a href="{escape_html(self.rel("europe/#" + device_id))}">{self.date(verdict.as_of.claim.date)}</a>'
        else:
            as_of = _("none")
        return (
            "    <tr>\n"
            f'      <th scope="row"><a href="{escape_html(self.rel("devices/" + device_id + "/"))}">{escape_html(device.name)}</a></th>\n'
            f"      <td>{self.verdict_badge(verdict)}</td>\n"
            f"      <td>{as_of}</td>\n"
            "    </tr>\n"
        )

    def cards(self) -> Markup:
        """Return the home page's device cards: name, announcement or status, Leica branding, summary."""
        return self._per_device("cards", self._card)

    def _card(self, device_id: str) -> str:
        _ = self.words
        device = self.devices[device_id]
        if device.announced:
            announced = _("Announced")
            when = f"{announced} {self.date(device.announced)}"
        else:
            when = _(device.status).capitalize()
        leica = _("Leica:")
        summary = f"<p>{self.edition.html(device, 'summary')}</p>" if device.summary else ""
        return (
            '    <li class="card">\n'
            f'      <h3><a href="{escape_html(self.rel("devices/" + device_id + "/"))}">{escape_html(device.name)}</a></h3>\n'
            f'      <p class="card-meta">{when} · {leica} {self.leica(device.leica)}</p>\n'
            f"{summary}    </li>\n"
        )

    def answers_index(self) -> Markup:
        """Return the Europe page's list of devices, each linked to its section, with its answer."""
        return self._per_device("index", self._answer_item)

    def _answer_item(self, device_id: str) -> str:
        device = self.devices[device_id]
        return f'  <li><a href="#{escape_html(device_id)}">{escape_html(device.name)}</a> {self.verdict_badge(self.verdicts.get(device_id))}</li>\n'

    def verdict_sections(self) -> Markup:
        """Return the Europe page's section per device: its answer, the reasoning, and the claims behind it."""
        return self._per_device("sections", self._verdict_section)

    def _verdict_section(self, device_id: str) -> str:
        _ = self.words
        t, rel = self.edition.html, self.rel
        device, verdict = self.devices[device_id], self.verdicts.get(device_id)
        name, anchor = device.name, escape_html(device_id)
        parts = [
            f'<section class="verdict" id="{anchor}" aria-labelledby="{anchor}-heading">\n'
            f'  <h2 id="{anchor}-heading">{escape_html(name)}</h2>\n'
            f'  <p class="plain-answer">{self.verdict_badge(verdict)}'
        ]
        if verdict and verdict.as_of:
            as_of = _("as of %(date)s", date=self.date(verdict.as_of.claim.date))
            parts.append(f' <span class="aside">{as_of}</span>')
        parts.append("</p>\n")
        if verdict:
            parts.append(f'  <div class="reasoning">{t(verdict, "reasoning")}</div>\n')
            if verdict.reading:
                reads_it = _("How this site reads it:")
                parts.append(f'<p class="reading"><strong>{reads_it}</strong> {t(verdict, "reading")}</p>')
            if verdict.answer == "disputed":
                europe, context = _("Europe:"), _("in context")
                parts.append('<div class="disagreement">')
                for view in verdict.deciding:
                    fact = view.claim
                    parts.append(
                        f'<div class="side"><p class="claim-meta">{self.date(fact.date)} <span class="standing">{_(fact.standing)}</span>'
                        f' <span class="stance">{europe} {_(fact.europe)}</span></p>'
                        f'<p>{t(fact, "text")} <a class="owner" href="{escape_html(rel(view.href))}">{context}</a></p></div>'
                    )
                parts.append("</div>")
            if verdict.chain:
                parts.append(self.chain(verdict, name))
        else:
            unanswered = _("No claim in the sources answers this yet.")
            parts.append(f"  <p>{unanswered}</p>\n")
        more = _("All facts about the %(device)s", device=name)
        parts.append(f'  <p class="more"><a href="{escape_html(rel("devices/" + device_id + "/"))}">{more}</a></p>\n</section>\n')
        return "".join(parts)

    def device_page(
        self, device_id: str, device: Any, verdict: Any, facts: Iterable[Any], disagreements: Any, related_events: Any
    ) -> Markup:
        """Return the body of a device's page: what it is, its key facts and Europe answer, every fact
        about it, where the sources disagree and the partnership events naming it.

        One call per page: written in the template it took some sixty calls from Jinja into Python."""
        _ = self.words
        t, rel = self.edition.html, self.rel
        name = escape_html(device.name)
        series = f" · {t(device, 'series')}" if device.series else ""
        parts = [f'<p class="kicker" data-pagefind-ignore>{escape_html(device.maker)}{series} · {_(device.status)}</p>\n<h1>{name}</h1>\n']
        if device.summary:
            parts.append(f'<p class="lede">{t(device, "summary")}</p>')
        key_facts, announced_word = _("Key facts"), _("Announced")
        announced: str = self.date(device.announced) if device.announced else _("Not yet")
        if device.announced_note:
            announced = f'{announced} <span class="aside">({t(device, "announced_note")})</span>'
        markets_word = _("Markets")
        markets = t(device, "markets") if device.markets else _("Not stated in the sources")
        leica_word = _("Leica branding")
        parts.append(
            '<section class="key-facts" aria-labelledby="key-facts">\n'
            f'  <h2 id="key-facts">{key_facts}</h2>\n'
            "  <dl>\n"
            f"    <div><dt>{announced_word}</dt><dd>{announced}</dd></div>\n"
            f"    <div><dt>{markets_word}</dt><dd>{markets}</dd></div>\n"
            f"    <div><dt>{leica_word}</dt><dd>{self.leica(device.leica)}</dd></div>\n"
        )
        none_word = _("None in the sources")
        # "Shipped as" only for a name that shipped as another device; the other two always.
        for other, label, always in (
            (device.predecessor, _("Predecessor"), True),
            (device.successor, _("Successor"), True),
            (device.shipped_as, _("Shipped as"), False),
        ):
            if other:
                parts.append(
                    f'<div><dt>{label}</dt><dd><a href="{escape_html(rel("devices/" + other + "/"))}">{escape_html(self.devices[other].name)}</a></dd></div>'
                )
            elif always:
                parts.append(f"<div><dt>{label}</dt><dd>{none_word}</dd></div>")
        europe_word = _("Coming to Europe?")
        as_of = verdict.as_of if verdict else None
        why = _("why, as of %(date)s", date=self.edition.when(as_of.claim.date)) if as_of else _("why")
        parts.append(
            f'    <div class="europe-answer"><dt>{europe_word}</dt><dd>{self.verdict_badge(verdict)}'
            f' <a href="{escape_html(rel("europe/#" + device_id))}">{why}</a>'
        )
        if verdict and verdict.reading:
            reads_it = _("How this site reads it:")
            parts.append(f'<p class="reading aside">{reads_it} {t(verdict, "reading")}</p>')
        parts.append("</dd></div>\n")
        if device.aka:
            also_called = _("Also called")
            parts.append(f"<div><dt>{also_called}</dt><dd>{escape_html(', '.join(device.aka))}</dd></div>")
        facts_word = _("Facts, oldest first")
        facts_aside = _(
            "Each number leads to the quoted passage in its archived source; open a quote to read it here, in its original language."
        )
        parts.append(
            "  </dl>\n</section>\n\n"
            '<section aria-labelledby="facts-heading">\n'
            f'  <h2 id="facts-heading">{facts_word}</h2>\n'
            f'  <p class="aside">{facts_aside}</p>\n'
        )
        length = len(parts)
        parts.extend(self._claim(view) for view in facts)
        if len(parts) == length:
            no_facts = _("No facts yet.")
            parts.append(f"<p>{no_facts}</p>")
        parts.append("</section>\n\n")
        if disagreements:
            parts.append(self._disagreements(disagreements))
        parts.append("\n")
        if related_events:
            history_word = _("In the partnership history")
            items = "".join(
                f'<li>{self.date(view.claim.date)} <a href="{escape_html(rel(view.href))}">{t(view.claim, "title")}</a></li>'
                for view in related_events
            )
            parts.append(
                '<section aria-labelledby="events-heading">\n'
                f'  <h2 id="events-heading">{history_word}</h2>\n'
                f'  <ul class="events-short">{items}</ul>\n'
                "</section>\n"
            )
        return Markup("".join(parts))

    def source_page(self, source: Any, size: int | None, paragraphs: Iterable[Any], passages: Iterable[Any]) -> Markup:
        """Return the body of a source's page: what the source is, its archived text with the cited
        passages highlighted, and each passage with the facts citing it. One call per page, as device_page."""
        _ = self.words
        t, edition = self.edition.html, self.edition
        lang = escape_html(source.language)
        # The headline in the reader's language, when the article is in another: title_en, title_de.
        rendered_title = None if source.language.split("-")[0] == self.lang else (source.title_de if self.lang == "de" else source.title_en)
        parts = [f'<h1 lang="{lang}">{escape_html(source.title)}</h1>\n']
        if rendered_title:
            parts.append(f'<p class="lede">“{escape_html(rendered_title)}”</p>')
        about = _("About this source")
        parts.append(f'<section aria-labelledby="about-source">\n  <h2 id="about-source">{about}</h2>\n  <dl>\n')
        if source.publisher:
            publisher_word = _("Publisher")
            note = f' <span class="aside">({t(source, "publisher_note")})</span>' if source.publisher_note else ""
            parts.append(f"<dt>{publisher_word}</dt><dd>{escape_html(source.publisher)}{note}</dd>")
        published_word = _("Published")
        published = self.date(source.published) if source.published else _("unknown")
        note = f' <span class="aside">({t(source, "published_note")})</span>' if source.published_note else ""
        language_word = _("Language")
        parts.append(
            f"    <dt>{published_word}</dt><dd>{published}{note}</dd>\n"
            f"    <dt>{language_word}</dt><dd>{escape_html(edition.language_name(source.language))}</dd>\n"
        )
        if source.title_note:
            title_word = _("Title")
            parts.append(f"<dt>{title_word}</dt><dd>{t(source, 'title_note')}</dd>")
        if source.url:
            original_word, url = _("Original"), escape_html(source.url)
            parts.append(f'<dt>{original_word}</dt><dd><a href="{url}" rel="nofollow noopener">{url}</a></dd>')
        archived_file = _("Archived file")
        size_words = ", " + _("%(size)s bytes", size=edition.number(size)) if size is not None else ""
        parts.append(f"    <dt>{archived_file}</dt><dd><code>seeds/{escape_html(source.file)}</code>{size_words}</dd>\n")
        if source.sha256:
            refuses = _("(the build refuses the text if a single byte changes)")
            parts.append(
                f'<dt>SHA-256</dt><dd><code class="digest">{escape_html(source.sha256)}</code> <span class="aside">{refuses}</span></dd>'
            )
        if source.relays:
            relays_word = _("Relays")
            relays = "".join(f"<li>{escape_html(relay.name)}{': ' + t(relay, 'via') if relay.via else ''}</li>" for relay in source.relays)
            parts.append(f"<dt>{relays_word}</dt><dd><ul>{relays}</ul></dd>")
        parts.append("  </dl>\n")
        if source.summary:
            parts.append(f"<p>{t(source, 'summary')}</p>")
        archived_text = _("Archived text")
        highlighted = _("Highlighted passages are cited by facts on this site; the arrow after each leads to them.")
        parts.append(
            "</section>\n\n"
            '<section aria-labelledby="text-heading">\n'
            f'  <h2 id="text-heading">{archived_text}</h2>\n'
            f'  <p class="aside">{highlighted}</p>\n'
            f'  <div class="archived" lang="{lang}">\n'
        )
        parts.extend(f"    <p>{self.archived_paragraph(pieces)}</p>\n" for pieces in paragraphs)
        cited = _("Cited passages and the facts that cite them")
        parts.append(f'  </div>\n</section>\n\n<section aria-labelledby="cited-heading">\n  <h2 id="cited-heading">{cited}</h2>\n')
        length = len(parts)
        for number, passage in enumerate(passages, 1):
            anchor = escape_html(passage.id)
            passage_word = _("Passage %(number)s", number=number)
            translations = "".join(self.translation(shown) for shown in edition.passage_translations(passage, source.language))
            parts.append(
                f'  <div class="passage-uses" id="uses-{anchor}">\n'
                f'    <p><a href="#{anchor}">{passage_word}</a></p>\n'
                f"{translations}    <ul>{self.cited_by(passage)}</ul>\n"
                "  </div>\n"
            )
        if len(parts) == length:
            uncited = _("No fact cites this source yet.")
            parts.append(f"  <p>{uncited}</p>\n")
        parts.append("</section>\n")
        return Markup("".join(parts))

    def date(self, date: PartialDate) -> Markup:
        """Return a date as readers see it, machine-readable inside: <time datetime="2022-07">July 2022</time>."""
        html = self._times.get(date)
        if html is None:  # a large site shows the same few hundred dates again and again
            html = self._times[date] = Markup(f'<time datetime="{escape_html(date.iso)}">{escape_html(self.edition.when(date))}</time>')
        return html

    @staticmethod
    def precision(date: PartialDate) -> str:
        """Return how precisely a date is known, for the timeline's markers: day, month or year
        (early, mid or late, and a range, count as a year)."""
        if date.until or date.open_end:
            return "year"
        return "day" if date.day else ("month" if date.month and not date.part else "year")

    def leica(self, value: str) -> Markup:
        """Return what a device's `leica` value means to readers."""
        return self.words(LEICA_LABELS[value])

    def citation_links(self, view: Any, hrefs: Iterable[str] | None = None) -> str:
        """Return a fact's footnote-style markers: [1] leads to the highlighted passage on the source
        page (`hrefs`: each citation's link, escaped, when the caller has them already)."""
        _ = self.words
        source = _("source")
        if hrefs is None:
            hrefs = [escape_html(self.rel(c.href)) for c in view.citations]
        return "".join(
            f'<a class="cite" href="{href}"><sup><span class="visually-hidden">{source} </span>[{number}]</sup></a>'
            for number, href in enumerate(hrefs, 1)
        )

    def translation(self, shown: Any) -> str:
        """Return the site's own rendering of a quote or a passage (editions.Shown): in the reader's
        language, or in English, marked."""
        _ = self.words
        label_lang = f' lang="{escape_html(self.lang)}"' if shown.lang != self.lang else ""
        label = _("Our translation:")
        html = f'<p class="translation" lang="{escape_html(shown.lang)}"><span class="translation-label"{label_lang}>{label}</span> {escape_html(shown.value)}</p>'
        if shown.fallback:
            note = _("(not yet translated)")
            html += f'<p class="untranslated-note">{note}</p>'
        return html

    def verdict_badge(self, verdict: Any) -> str:
        """Return the Europe answer as a badge, with the strength of the evidence behind it; a device without a verdict is unclear."""
        _ = self.words
        if verdict is None:
            unclear = _("Unclear")
            return f'<span class="answer answer-unclear">{unclear}</span>'
        html = f'<span class="answer answer-{escape_html(verdict.answer)}">{_(verdict.label)}</span>'
        if verdict.evidence:
            if verdict.answer == "name-not-used":
                evidence = _(SHIPPED_AS, name=self.devices[self.devices[verdict.device].shipped_as].name)
            else:
                evidence = _(verdict.evidence)
            reading = _(", as this site reads it") if verdict.reading else ""
            html += f' <span class="evidence">{evidence}{reading}</span>'
        return html

    def claim(self, view: Any, heading: Any = None, show_date: bool = True, level: int = 3, reported: bool = False) -> Markup:
        """Return one fact with its date, standing, citation markers and quotes (one <details> per
        citation), and the facts that supersede or dispute it. Its title heads it as an <h`level`>
        when `heading` is set (the templates pass the title); with `reported`, its date is said to
        be the day an article reported it.

        The white space is the one the pages have always had, from the template this replaced."""
        return Markup(self._claim(view, heading, show_date, level, reported))

    def _claim(self, view: Any, heading: Any = None, show_date: bool = True, level: int = 3, reported: bool = False) -> str:
        _ = self.words
        t = self.edition.html
        rel = self.rel
        fact = view.claim
        parts = [f'<article class="claim standing-{escape_html(fact.standing)}" id="{escape_html(view.id)}">\n']
        if heading:
            parts.append(f'<h{level} class="claim-title">{t(fact, "title")}</h{level}>')
        parts.append('  <p class="claim-meta">\n')
        if show_date:
            when = self.date(fact.date)
            parts.append(_("Reported %(date)s, date not given", date=when) if reported else when)
        if fact.date_note:
            date_word = _("Date:")
            parts.append(f'<span class="date-note">{date_word} {t(fact, "date_note")}</span>')
        parts.append(f'    <span class="standing">{_(fact.standing)}</span>\n')
        if fact.europe:
            europe = _("Europe:")
            parts.append(f'<span class="stance">{europe} {_(fact.europe)}</span>')
        parts.append("  </p>\n")
        hrefs = [escape_html(rel(c.href)) for c in view.citations]
        parts.append(f'  <p class="claim-text">{t(fact, "text")} {self.citation_links(view, hrefs)}</p>\n')
        parts.append("  ")  # before the quotes' loop in the template this replaced: there even when a fact has none
        quote_from, archived = _("Quote from"), _("In the archived text")
        quote_translation = self.edition.quote_translation
        for number, (c, href) in enumerate(zip(view.citations, hrefs, strict=True), 1):
            lang = escape_html(c.lang)
            shown = quote_translation(c)
            parts.append(
                f'  <details class="quote">\n'
                f'    <summary><span class="ref">[{number}]</span> {quote_from} <cite lang="{lang}">{escape_html(c.source_title)}</cite></summary>\n'
                f'    <blockquote lang="{lang}"><p>{escape_html(c.quote)}</p></blockquote>\n'
                f"{self.translation(shown) if shown else ''}"
                f'    <p class="quote-link"><a href="{href}">{archived}</a></p>\n'
                f"  </details>\n"
            )
        parts.append("\n")
        if view.superseded_by:
            newer = self.claims[view.superseded_by]
            superseded = _("Superseded by a later claim:")
            parts.append(f'  <p class="note">{superseded} <a href="{escape_html(rel(newer.href))}">{t(newer.claim, "text")}</a></p>\n')
        if view.contradicted_by:
            links = []
            for other_id in view.contradicted_by:
                other = self.claims[other_id]
                words = _("a claim of %(date)s", date=self.edition.when(other.claim.date))
                links.append(f'<a href="{escape_html(rel(other.href))}">{words}</a>')
            disputed_by = _("Disputed by")
            parts.append(f'  <p class="note">{disputed_by} {", ".join(links)}.</p>\n')
        parts.append("</article>\n")
        return "".join(parts)

    def disagreement(self, pair: Iterable[Any]) -> str:
        """Return two facts that contradict each other, side by side, each with the sources it cites."""
        _ = self.words
        parts = ['<div class="disagreement">\n']
        for view in pair:
            fact = view.claim
            titles = "; ".join(
                f'<cite lang="{escape_html(c.lang)}">{escape_html(c.source_title)}</cite>' for c in _first_per_source(view.citations)
            )
            parts.append(
                f'  <div class="side">\n'
                f'    <p class="claim-meta">{self.date(fact.date)} <span class="standing">{_(fact.standing)}</span></p>\n'
                f"    <p>{self.edition.html(fact, 'text')} {self.citation_links(view)}</p>\n"
                f'    <p class="side-source">{titles}</p>\n'
                f"  </div>\n"
            )
        parts.append("</div>\n")
        return "".join(parts)

    def disagreements(self, pairs: Iterable[Any]) -> Markup:
        """Return the section "Where the sources disagree" with every pair of facts that contradict each other."""
        return Markup(self._disagreements(pairs))

    def _disagreements(self, pairs: Iterable[Any]) -> str:
        _ = self.words
        heading = _("Where the sources disagree")
        # Each pair kept from the last render of this page while its two facts are the same objects.
        kept, made = self.kept.get("pairs", {}), self._made("pairs")
        parts = []
        for pair in pairs:
            views = tuple(pair)
            key = tuple(view.id for view in views)
            old = kept.get(key)
            html = old[1] if old is not None and all(a is b for a, b in zip(old[0], views, strict=True)) else self.disagreement(views)
            if made is not None:
                made[key] = (views, html)
            parts.append(html)
        inside = "".join(parts)
        return f'<section aria-labelledby="disagree-heading">\n  <h2 id="disagree-heading">{heading}</h2>\n{inside}</section>\n'

    def chain(self, verdict: Any, device_name: str) -> str:
        """Return the claims behind a Europe answer, oldest first, those that decide it marked."""
        _ = self.words
        t = self.edition.html
        rel = self.rel
        europe, decides_word, superseded, context = _("Europe:"), _("decides the answer"), _("superseded"), _("in context")
        decisive = ' class="decisive"'
        items = []
        for view in verdict.chain:
            fact = view.claim
            decides = view in verdict.deciding
            stance = f' <span class="stance">{europe} {_(fact.europe)}</span>' if fact.europe else ""
            marks = f" <strong>{decides_word}</strong>" if decides else ""
            if view.superseded_by:
                marks += f' <span class="aside">{superseded}</span>'
            items.append(
                f"<li{decisive if decides else ''}>"
                f'<p class="claim-meta">{self.date(fact.date)} <span class="standing">{_(fact.standing)}</span>{stance}{marks}</p>\n'
                f'      <p>{t(fact, "text")} {self.citation_links(view)} <a class="owner" href="{escape_html(rel(view.href))}">{context}</a></p></li>'
            )
        label = _("Claims behind the answer for %(device)s, oldest first", device=device_name)
        return f'  <ol class="chain" aria-label="{label}">\n{"".join(items)}  </ol>\n'

    def archived_paragraph(self, pieces: Iterable[Any]) -> str:
        """Return one paragraph of a source's archived text (plan.Piece runs): the cited passages
        highlighted, the first piece of each with its anchor and the arrow to the facts citing it."""
        _ = self.words
        label = _("Facts citing this passage")
        backref = f' aria-label="{label}" lang="{escape_html(self.lang)}">↩</a>'
        parts: list[str] = []
        for piece in pieces:
            passage = piece.passage
            if passage is None:
                parts.append(escape_html(piece.text))
            elif piece.first:
                anchor = escape_html(passage.id)
                parts.append(f'<mark id="{anchor}">{escape_html(piece.text)}</mark><a class="backref" href="#uses-{anchor}"{backref}')
            else:
                parts.append(f"<mark>{escape_html(piece.text)}</mark>")
        return "".join(parts)

    def cited_by(self, passage: Any) -> str:
        """Return the facts citing a passage, as list items: the page each lives on, and its text;
        kept from the last render of this page while the passage and its facts' views are the same
        objects (a renamed device renders the source pages again, most of whose passages it is not in)."""
        claims = getattr(self.claims, "data", self.claims)
        shown = (passage, *(claims.get(claim_id) for claim_id in passage.claims))
        return self._part("cited", passage.id, shown, lambda: self._cited_by(passage))

    def _cited_by(self, passage: Any) -> str:
        owner, t, rel = self.edition.owner, self.edition.html, self.rel
        items = []
        for claim_id in passage.claims:
            view = self.claims[claim_id]
            items.append(f'<li><a href="{escape_html(rel(view.href))}">{escape_html(owner(view))}</a>: {t(view.claim, "text")}</li>')
        return "".join(items)

    def _part(self, kind: str, key: Any, shown: tuple, make: Callable[[], str]) -> str:
        """Return make(), or the part kept from the last render of this page under `kind` and `key`
        while it was made from the very objects in `shown`; its reads of the tables are noted again."""
        tables = [t for t in (self.devices, self.verdicts, self.claims) if hasattr(t, "noting")]
        old = self.kept.get(kind, {}).get(key)
        if old is not None and _same_objects(old[0], shown):
            html, notes = old[1], old[2]
            for table, noted in zip(tables, notes, strict=True):
                read = table.noting(set())
                table.noting(read)
                read |= noted
        else:
            notes = [set() for _ in tables]
            page_reads = [table.noting(read) for table, read in zip(tables, notes, strict=True)]
            try:
                html = make()
            finally:
                for table, read in zip(tables, page_reads, strict=True):
                    table.noting(read)
            for read, noted in zip(page_reads, notes, strict=True):
                read |= noted
        made = self._made(kind)
        if made is not None:
            made[key] = (shown, html, notes)
        return html

    def _made(self, kind: str) -> dict | None:
        """Return the parts of `kind` made so far on this page, to be kept for its next render; None in a build."""
        return None if self.made is None else self.made.setdefault(kind, {})


def _same_objects(a: tuple, b: tuple) -> bool:
    """Return whether two tuples hold the very same objects (one comparison of the tuples when they do)."""
    if len(a) != len(b):
        return False
    if a == b:  # item by item, each first by identity: equal objects that are not the same come out below
        return all(x is y for x, y in zip(a, b, strict=True))
    return False


def _badge_devices(verdict: Any, devices: dict) -> tuple:
    """Return the devices a verdict's badge names besides its own: the one a name shipped as."""
    if verdict is None or verdict.answer != "name-not-used" or not verdict.evidence:
        return ()
    named = devices.get(verdict.device)
    return (named, None if named is None else devices.get(named.shipped_as))


def _first_per_source(citations: Iterable[Any]) -> list[Any]:
    """Return the first citation of each source, as Jinja's `unique(attribute='source')` did (ignoring case)."""
    seen = set()
    first = []
    for c in citations:
        key = c.source.lower()
        if key not in seen:
            seen.add(key)
            first.append(c)
    return first
