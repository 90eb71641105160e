"""Stage 5, render: every planned page through its Jinja template; the only place text becomes HTML."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from .editions import ENGLISH, FOLDER, editions, quote_translation
from .i18n import date_formatter, load_translations
from .markup import PageMarkup, Words, escape_html
from .model import Site
from .pictures import lineup_picture, timeline_picture
from .plan import Page, Passage, SitePlan
from .problems import ContentError, Problem
from .publish import facts_json, structured_data
from .verify import MARKDOWN

# Raw HTML off: Markdown in content can format text, never inject markup. The instance verify
# checked links with, which drops any link that is not http(s) or relative.
_markdown = MARKDOWN
_MARKUP = re.compile(r"[*_`\[\]<>&\\!]")


def inline_markdown(text: str) -> Markup:
    """Return a fact's inline Markdown as safe HTML, for the templates' `inline` filter."""
    return Markup(inline_html(text))


def inline_html(text: str) -> str:
    """Return a fact's inline Markdown as HTML in a plain str, for markup built in Python
    (markup.PageMarkup); plain text is only escaped: much cheaper."""
    if not _MARKUP.search(text):
        return escape_html(text)
    return _rendered_inline(text)


@functools.cache
def _rendered_inline(text: str) -> Markup:
    # A fact's text shows on its device, source, Europe and home pages: parse it once.
    simple = simple_inline(text)
    return Markup(_markdown.renderInline(text) if simple is None else simple)


# The inline Markdown most facts hold: `*emphasis*` and `` `code` `` in plain text, each delimiter
# where it can only open or only close (a letter or digit inside it, a space or start-of-text and
# a space, a stop or end-of-text outside it) and each backtick alone, so CommonMark pairs them as
# written. Parsing them with markdown-it cost more than the rest of a fact's markup, and was done
# again in every render worker.
_SIMPLE_SPAN = re.compile(r"(?<!`)`([^`\s*](?:[^`*]*[^`\s*])?)`(?!`)|(?<![^ (\"])\*([^\W_](?:[^*`]*[^\W_])?)\*(?=[ .,;:?)\"]|\Z)")
_NOT_SIMPLE = re.compile(r"[_\[\]<>&\\!\n\r\0]")  # links, images, HTML, entities, escapes, line breaks, `_`: markdown-it


def simple_inline(text: str) -> str | None:
    """Return the HTML markdown-it writes for `text` if its only Markdown is simple emphasis and code
    spans (see _SIMPLE_SPAN), else None. tests/test_render.py holds the two to the same output."""
    if _NOT_SIMPLE.search(text):
        return None
    parts = []
    end = 0
    for found in _SIMPLE_SPAN.finditer(text):
        parts.append(text[end : found.start()])
        code, emphasis = found.groups()
        parts.append(f"<code>{code}</code>" if code is not None else f"<em>{emphasis}</em>")
        end = found.end()
    parts.append(text[end:])
    if any("*" in part or "`" in part for part in parts[::2]):  # a delimiter left outside the spans
        return None
    # markdown-it escapes `"` as &quot; and leaves `'`; & < > never get here.
    return "".join(parts).replace('"', "&quot;")


def block_markdown(text: str) -> Markup:
    """Return a Markdown page body as safe HTML."""
    return Markup(_markdown.render(text))


def relative_link(page: Page, target: str) -> str:
    """Return `target` (edition-relative, maybe with #fragment) as a link relative to `page`:
    a page of the German edition links to German pages, and every page to the shared files.

    Directory URLs get an explicit index.html so the site also works opened from disk.
    """
    return _linker("../" * page.path.count("/"), "../" * page.url.count("/"))(target)


# What both editions share, at the site's root: a link to it never goes into an edition's folder.
SHARED_FILES = ("static/", "facts.json")


def _linker(prefix: str, root: str | None = None) -> Callable[[str], str]:
    """Return relative_link for every page whose way up to its edition's root is `prefix` (and to
    the site's root `root`, when that differs).

    Templates call it for every link (a device page has some forty), so the prefix is worked out
    once per page rather than once per link.
    """
    shared = prefix if root is None else root

    def link(target: str) -> str:
        if target[:1] == "#":  # on this page
            return target
        path, hash_, fragment = target.partition("#")
        if path == "" or path[-1] == "/":
            path += "index.html"
        return (shared if path.startswith(SHARED_FILES) else prefix) + path + hash_ + fragment

    return link


class Edition:
    """What the templates need to write a page in one edition's language: its catalog, its dates,
    and each content text in its language, or in English marked as not yet translated."""

    def __init__(self, lang: str, templates: Path) -> None:
        self.lang = lang
        translations = load_translations(templates, lang)
        self.gettext = translations.gettext
        self.ngettext = translations.ngettext
        self.when = date_formatter(lang, self.gettext)
        self.words = Words(self.gettext)  # the site's own words as markup, for markup.PageMarkup
        self.times: dict[Any, Markup] = {}  # each date as <time> markup, written once (markup.PageMarkup.date)
        self.suffix = "" if lang == ENGLISH else "_" + lang
        # The English text standing in for a missing German one: tagged as English for screen
        # readers, search and hyphenation, and marked for readers.
        self._open = Markup('<span lang="en" class="untranslated">')
        self._close = Markup('</span> <span class="untranslated-note">') + escape(self.gettext("(not yet translated)")) + Markup("</span>")

    def t(self, record: Any, key: str) -> Markup:
        """Return the text `record.key` in this edition's language as HTML (inline Markdown), or the
        English one, marked; empty when there is neither."""
        return Markup(self.html(record, key))

    def html(self, record: Any, key: str) -> str:
        """Return what `t` does as a plain str, for markup built in Python (markup.PageMarkup)."""
        value = getattr(record, key + self.suffix) if self.suffix else None
        if value:
            return inline_html(value) if isinstance(value, str) else escape_html(", ".join(value))
        value = getattr(record, key)
        if not value:
            return ""
        text = inline_html(value) if isinstance(value, str) else escape_html(", ".join(value))
        return f"{self._open}{text}{self._close}" if self.suffix else text

    def plain(self, record: Any, key: str) -> str:
        """Return the text `record.key` as plain text in this edition's language, else in English (for
        attributes, titles and feeds, where nothing can be marked)."""
        return (getattr(record, key + self.suffix) if self.suffix else None) or getattr(record, key)

    def block(self, body: str, untranslated: bool) -> Markup:
        """Return a free page's Markdown body as HTML; an English page standing in for a missing German one, marked."""
        html = block_markdown(body)
        if not untranslated or not self.suffix:
            return html
        note = (
            Markup('<p class="untranslated-note">')
            + escape(self.gettext("This page is not yet translated; it is shown in English."))
            + Markup("</p>")
        )
        return note + Markup('<div lang="en">') + html + Markup("</div>")

    def quote_translation(self, citation: Any) -> Any:
        """Return the site's own rendering of a quote for this edition (editions.Shown), or None."""
        return quote_translation(citation.lang, citation.translation, citation.translation_de, self.lang)

    def passage_translations(self, passage: Passage, quote_lang: str) -> list[Any]:
        """Return the renderings of a source's passage for this edition, as editions.Shown."""
        if quote_lang.split("-")[0] == self.lang:
            return []
        if self.suffix and passage.translations_de:
            shown = [quote_translation(quote_lang, None, text, self.lang) for text in passage.translations_de]
        else:
            shown = [quote_translation(quote_lang, text, None, self.lang) for text in passage.translations]
        return [s for s in shown if s is not None]

    def owner(self, view: Any) -> str:
        """Return the name of the page a fact lives on: a device's name, or the history or background page's."""
        return view.owner_title if view.href.startswith("devices/") else self.gettext(view.owner_title)

    @functools.cached_property
    def _locale(self) -> Any:
        from babel import Locale

        return Locale.parse(self.lang)

    def language_name(self, code: str) -> str:
        """Return the name of a language in this edition's language: "German", "Deutsch"."""
        from babel import Locale

        try:
            return str(Locale.parse(code.replace("-", "_")).get_display_name(self._locale))
        except (ValueError, LookupError):
            return code

    def number(self, value: int) -> str:
        """Return a number written for this edition's readers: 12,345 or 12.345."""
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=self._locale))


def template_problem(error: jinja2.TemplateError, page: Page, templates: Path) -> Problem:
    """Return a template error located in its template, as far as Jinja tells."""
    name, line = page.template, 0
    if isinstance(error, jinja2.TemplateSyntaxError):
        name, line = error.name or name, error.lineno
    else:  # a runtime error: Jinja rewrites the traceback so template frames carry their own lines
        tb = error.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(str(templates)):
                name, line = Path(filename).relative_to(templates).as_posix(), tb.tb_lineno
            tb = tb.tb_next
    kind = "missing template" if isinstance(error, jinja2.TemplateNotFound) else "template error"
    return Problem(f"templates/{name}", line, 1 if line else 0, f"{kind} while rendering /{page.url}: {error.message or error}")


def check_templates(templates: Path) -> list[Problem]:
    """Return a problem for each file in `templates` that links outside it (it would be published, or
    rendered) and each template that is not UTF-8 text (Jinja would stop with a traceback)."""
    problems = []
    root = templates.resolve()
    for file in sorted(templates.rglob("*")):
        shown = "templates/" + file.relative_to(templates).as_posix()
        if not file.resolve().is_relative_to(root):
            problems.append(Problem(shown, 1, 1, "a link to a file outside templates/; copy the file in instead"))
        elif file.is_file() and file.relative_to(templates).parts[0] != "static":
            raw = file.read_bytes()
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                before = raw[: error.start]
                problems.append(
                    Problem(
                        shown,
                        before.count(b"\n") + 1,
                        len(before) - (before.rfind(b"\n") + 1) + 1,
                        f"not UTF-8 text (byte 0x{raw[error.start]:02X}); save the template as UTF-8",
                    )
                )
    return problems


OPTIONS: dict[str, Any] = {
    "autoescape": True,
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "extensions": ("jinja2.ext.i18n",),
}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Templates compiled by an earlier build (Jinja's cache, in a private folder of the user's
    temporary directory): compiling them is a fifth of a small site's build. A template whose
    text changed is compiled again; a cache that cannot be read or written only costs time."""

    def __init__(self) -> None:
        # Compiled code depends on the options too, which Jinja's key leaves out.
        options = hashlib.sha256(repr(sorted(OPTIONS.items())).encode()).hexdigest()[:12]
        super().__init__(pattern=f"factsheet-{options}-%s.cache")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@functools.cache  # one per process: its folder is checked once
def _template_cache() -> jinja2.BytecodeCache | None:
    try:
        return _TemplateCache()
    except (OSError, RuntimeError):  # no usable temporary folder, or one another user owns
        return None


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return context["edition"].gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, n: int) -> str:
    return context["edition"].ngettext(singular, plural, n)


def make_environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        bytecode_cache=_template_cache(),
        # An environment lives for one build (or, in serve, until a template changes): no need
        # to stat every template file on every page.
        auto_reload=False,
        **OPTIONS,
    )
    # One environment for both editions: each page's `edition` picks the catalog.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["inline"] = inline_markdown
    env.filters["markdown"] = block_markdown
    env.globals["structured_data"] = structured_data
    env.globals["timeline_picture"] = timeline_picture
    env.globals["lineup_picture"] = lineup_picture
    return env


# Below this many pages a pool of processes costs more than it saves.
PARALLEL_PAGES = 200
CHUNK_PAGES = 100  # pages rendered and handed on at a time
AHEAD = 2  # chunks per worker rendered or waiting to be, besides the one being written


@dataclasses.dataclass
class Kept:
    """What serve keeps from one render to the next while the templates stay the same."""

    env: jinja2.Environment  # the compiled templates
    facts: dict = dataclasses.field(default_factory=dict)  # each fact as facts.json has it (see export_facts)
    parts: dict = dataclasses.field(default_factory=dict)  # page output -> its per-device parts (markup.PageMarkup.made)
    editions: dict = dataclasses.field(default_factory=dict)  # language -> its Edition: the catalog is read once
    checked: bool = False  # check_templates found nothing: the templates are the same until a new Kept


def render_site(
    plan: SitePlan, site: Site, templates: Path, base_url: str = "", workers: int | None = None, kept: Kept | None = None
) -> dict[str, bytes]:
    """Return every output file's path and bytes: the pages, then the static assets.

    Large sites render on every core (`workers`, default all); the bytes are the same, and the
    same with or without what an earlier render `kept`.
    """
    files = {
        name: data if isinstance(data, bytes) else b"".join(data)
        for name, data in render_files(plan, site, templates, base_url, workers, kept)
    }
    pages = {page.output: files[page.output] for page in plan.pages if page.output in files}  # in page order
    return {**pages, **{name: data for name, data in files.items() if name not in pages}}


def render_files(
    plan: SitePlan, site: Site, templates: Path, base_url: str = "", workers: int | None = None, kept: Kept | None = None
) -> Iterator[tuple[str, bytes | Iterable[bytes]]]:
    """Yield every output file's path and bytes as soon as it is rendered, so they can be written
    without holding the whole site in memory; raise ContentError before facts.json if a page failed
    (the first in page order), and before any is rendered if a template is a link outside templates/ or not UTF-8.

    facts.json comes as an iterator of its pieces, each made as it is asked for (see publish.facts_json)."""
    if kept is None or not kept.checked:
        problems = check_templates(templates)
        if problems:
            raise ContentError(problems)
        if kept is not None:
            kept.checked = True
    env = kept.env if kept else make_environment(templates)
    facts = kept.facts if kept else None
    base_url = (base_url or site.base_url or "").rstrip("/") + "/" if (base_url or site.base_url) else ""
    # A sitemap or feed of relative URLs would be invalid; see docs/export.md.
    pages = [page for page in plan.pages if base_url or not page.needs_base_url]
    langs = {lang: _edition(lang, templates, kept) for lang in editions(site)}
    job = _Job(env, pages, site, templates, base_url, langs, kept.parts if kept else None, shared=plan.shared)
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(pages) > PARALLEL_PAGES and _preload(env, pages):
        yield from _render_parallel(job, workers)
    else:
        # A chunk at a time: the whole site at once was 270 MB at 10,000 devices.
        for start in range(0, len(pages), CHUNK_PAGES):
            yield from _unwrap(job.render(range(start, min(start + CHUNK_PAGES, len(pages))))).items()
    yield "facts.json", facts_json(plan, site, base_url, facts)
    static = templates / "static"
    for asset in sorted(static.rglob("*")) if static.is_dir() else []:
        if asset.is_file():
            yield "static/" + asset.relative_to(static).as_posix(), asset.read_bytes()


def _edition(lang: str, templates: Path, kept: Kept | None) -> Edition:
    if kept is None:
        return Edition(lang, templates)
    if lang not in kept.editions:
        kept.editions[lang] = Edition(lang, templates)
    return kept.editions[lang]


@dataclasses.dataclass
class _Job:
    """What rendering a range of pages needs; a forked worker inherits it."""

    env: jinja2.Environment
    pages: list[Page]
    site: Site
    templates: Path
    base_url: str
    editions: dict[str, Edition] = dataclasses.field(default_factory=dict)
    parts: dict | None = None  # Kept.parts, when parts are kept for the next render
    frames: dict = dataclasses.field(default_factory=dict)  # the navigation and footers made so far (see _Frame)
    shared: dict = dataclasses.field(default_factory=dict)  # SitePlan.shared: the tables every template gets

    def render(self, indices: Iterable[int]) -> dict[str, bytes] | tuple[int, Problem]:
        """Return the pages at `indices` rendered, or the index and problem of the first that fails (plain data, so it pickles)."""
        # The 404 page is served at any depth, so its links start from the site's path (/repo/ on Pages).
        site_path = urlsplit(self.base_url).path or "/"
        langs = editions(self.site)
        files: dict[str, bytes] = {}
        for index in indices:
            page = self.pages[index]
            root = site_path if page.anywhere else "../" * page.url.count("/")
            prefix = site_path + FOLDER[page.lang] if page.anywhere else "../" * page.path.count("/")
            rel = _linker(prefix, root)
            # The page in every edition, this one included: the language switcher and hreflang links.
            target = page.path + "index.html" if page.path == "" or page.path.endswith("/") else page.path
            versions = [(lang, root + FOLDER[lang] + target, self.base_url + FOLDER[lang] + page.path) for lang in langs]
            edition = self.editions[page.lang]
            context = {**self.shared, **page.context}  # a page's own tables first (serve's note what it reads)
            kept = None if self.parts is None else self.parts.get(page.output)
            ui = PageMarkup(
                edition,
                rel,
                page.lang,
                context.get("claims"),
                context.get("devices"),
                context.get("verdicts"),
                kept,
                self.parts is not None,
            )
            try:
                pieces = self.env.get_template(page.template).generate(
                    **context,
                    page=page,
                    site=self.site,
                    rel=rel,
                    base_url=self.base_url,
                    edition=edition,
                    ui=ui,
                    # The templates' _() straight to the edition's words: the same markup as the
                    # i18n extension's (still used by {% trans %}), without its three calls per word.
                    _=edition.words,
                    versions=versions,
                    frame=_Frame(self, page, context, edition, rel, (page.lang, prefix, root)),
                )
                # Encoded piece by piece, never joined as text first: one character beyond Latin-1 makes
                # the whole text two or four bytes a character (the home page at 2,000 devices: 24 -> 10 MB at its peak).
                files[page.output] = b"".join([piece.encode("utf-8") for piece in pieces])
            except jinja2.TemplateError as error:
                return index, template_problem(error, page, self.templates)
            if self.parts is not None and (ui.made or kept):
                self.parts[page.output] = ui.made
        return files


class _Frame:
    """The parts of base.html that are the same on every page of one edition at one depth, the
    head's links, the navigation and the footer: each rendered from its partial when a page first shows it, and
    shared by the pages after it (_Job.frames). Rendered on every page they were some thirty
    calls from Jinja into Python, a third of a device page's frame.

    The partials get only the values named here, so the key (the edition, the two link prefixes,
    and what each property adds) holds everything they show."""

    def __init__(self, job: _Job, page: Page, context: dict, edition: Edition, rel: Callable[[str], str], key: tuple) -> None:
        self._job, self._page, self._context, self._edition, self._rel, self._key = job, page, context, edition, rel, key

    def _render(self, name: str, key: tuple, **values: Any) -> Markup:
        html = self._job.frames.get((name, key))
        if html is None:
            template = self._job.env.get_template(name)
            html = self._job.frames[name, key] = Markup(template.render(rel=self._rel, _=self._edition.words, **values))
        return html

    @property
    def links(self) -> Markup:
        # The base URL is the same for the whole build; with it come the feed's link and title.
        site_title = self._edition.plain(self._job.site, "title")
        return self._render("_links.html", self._key, base_url=self._job.base_url, site_title=site_title)

    @property
    def nav(self) -> Markup:
        # The navigation marks the page it is on, and only top-level pages are in it.
        path = self._page.path
        section = path if path.count("/") <= 1 else None
        return self._render("_nav.html", (*self._key, section), site_title=self._edition.plain(self._job.site, "title"), section=section)

    @property
    def footer(self) -> Markup:
        source_count = len(self._context["sources"])  # read here, so serve notes that the page shows it
        return self._render(
            "_footer.html", (*self._key, source_count), edition=self._edition, site=self._job.site, source_count=source_count
        )


def _unwrap(result: dict[str, bytes] | tuple[int, Problem]) -> dict[str, bytes]:
    if isinstance(result, tuple):
        raise ContentError([result[1]])
    return result


def _preload(env: jinja2.Environment, pages: list[Page]) -> bool:
    """Compile every template once before forking; False if one fails (the serial path then reports it)."""
    try:
        for name in sorted({page.template for page in pages}):
            env.get_template(name)
    except jinja2.TemplateError:
        return False
    return True


_job: _Job | None = None  # set in the parent just before the pool forks


def _render_chunk(indices: list[int]) -> dict[str, bytes] | tuple[int, Problem]:
    assert _job is not None
    return _job.render(indices)


def _give_back_freed_memory() -> None:
    """Return to the system the memory this process has freed but its C allocator still holds, where
    that allocator (glibc's) can be asked to: the workers forked next would each count it as theirs.
    What the build freed before render (verify's checks, validate's documents) lies between what it
    keeps, where glibc gives nothing back on its own: at 10,000 devices 316 -> 294 MiB."""
    import ctypes  # here: only a large site's render needs it

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # no glibc
        return
    trim(0)


def _render_parallel(job: _Job, workers: int) -> Iterator[tuple[str, bytes]]:
    """Render the pages in chunks on `workers` forked processes, yielding each chunk's files as it comes."""
    global _job
    # One-of-a-kind pages (home, feed, Europe: each reads every claim) go early, one a chunk,
    # so that no single slow page is left to run alone at the end.
    count = collections.Counter((page.template, page.lang) for page in job.pages)
    single = [[i] for i, page in enumerate(job.pages) if count[page.template, page.lang] == 1]
    rest = [i for i, page in enumerate(job.pages) if count[page.template, page.lang] > 1]
    # A few chunks per worker evens out slow pages; at most CHUNK_PAGES each, since a chunk's pages
    # are held in the worker, in the pipe and here at once (an eighth of a 10,000-device site was 80 MB).
    size = max(1, min(CHUNK_PAGES, -(-len(rest) // (workers * 4))))
    regular = [rest[start : start + size] for start in range(0, len(rest), size)]
    # Each of them followed by as many chunks as are asked for at once: of the large ones (the home
    # and Europe pages, 24 and 18 MB at 10,000 devices) only one is then held here at a time.
    spacing = AHEAD * workers
    chunks = []
    for n, one in enumerate(single):
        chunks += [one, *regular[n * spacing : (n + 1) * spacing]]
    chunks += regular[len(single) * spacing :]
    failures = []
    _job = job
    _give_back_freed_memory()
    import multiprocessing  # here: a small site renders in this process and never needs it

    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # A few chunks per worker asked for ahead of the one being written, no more: with imap the
            # workers' pages piled up here whenever writing fell behind (444 MiB mid-render at 10,000 devices).
            waiting = iter(chunks)
            pending = collections.deque(pool.apply_async(_render_chunk, (chunk,)) for chunk in itertools.islice(waiting, AHEAD * workers))
            while pending:
                result = pending.popleft().get()
                pending.extend(pool.apply_async(_render_chunk, (chunk,)) for chunk in itertools.islice(waiting, 1))
                if isinstance(result, tuple):
                    failures.append(result)
                else:
                    yield from result.items()
    finally:
        _job = None
    if failures:
        raise ContentError([min(failures, key=lambda failure: failure[0])[1]])  # the first in page order, as when serial
