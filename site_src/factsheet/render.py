"""Stage 5, render: every planned page through its Jinja template; the only place text becomes HTML."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from .model import Site
from .plan import Page, SitePlan
from .problems import ContentError, Problem
from .publish import export_facts, structured_data
from .verify import MARKDOWN

# Raw HTML off: Markdown in content can format text, never inject markup. The instance verify
# checked links with, which drops any link that is not http(s) or relative.
_markdown = MARKDOWN
_MARKUP = re.compile(r"[*_`\[\]<>&\\!]")


def inline_markdown(text: str) -> Markup:
    """Return a fact's inline Markdown as safe HTML (plain text is only escaped: much cheaper)."""
    if not _MARKUP.search(text):
        return escape(text)
    return _rendered_inline(text)


@functools.lru_cache(maxsize=None)
def _rendered_inline(text: str) -> Markup:
    # A fact's text shows on its device, source, Europe and home pages: parse it once.
    return Markup(_markdown.renderInline(text))


def block_markdown(text: str) -> Markup:
    """Return a Markdown page body as safe HTML."""
    return Markup(_markdown.render(text))


def relative_link(page: Page, target: str) -> str:
    """Return `target` (site-relative, maybe with #fragment) as a link relative to `page`.

    Directory URLs get an explicit index.html so the site also works opened from disk.
    """
    path, hash_, fragment = target.partition("#")
    if path == "" and hash_:
        return "#" + fragment
    if path == "" or path.endswith("/"):
        path += "index.html"
    prefix = "../" * page.url.count("/")
    return prefix + path + (hash_ + fragment)


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


def make_environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline"] = inline_markdown
    env.filters["markdown"] = block_markdown
    env.globals["structured_data"] = structured_data
    return env


def render_site(plan: SitePlan, site: Site, templates: Path, base_url: str = "") -> dict[str, bytes]:
    """Return every output file's path and bytes: the pages, then the static assets."""
    env = make_environment(templates)
    base_url = (base_url or site.base_url or "").rstrip("/") + "/" if (base_url or site.base_url) else ""
    # The 404 page is served at any depth, so its links start from the site's path (/repo/ on Pages).
    root = urlsplit(base_url).path or "/"
    files: dict[str, bytes] = {}
    for page in plan.pages:
        if page.needs_base_url and not base_url:
            continue  # a sitemap or feed of relative URLs would be invalid; see docs/export.md

        def rel(target: str, page: Page = page) -> str:
            link = relative_link(page, target)
            return root + link if page.anywhere and not link.startswith("#") else link

        try:
            html = env.get_template(page.template).render(**page.context, page=page, site=site, rel=rel, base_url=base_url)
        except jinja2.TemplateError as error:
            raise ContentError([template_problem(error, page, templates)]) from None
        files[page.output] = html.encode("utf-8")
    files["facts.json"] = export_facts(plan, site, base_url)
    static = templates / "static"
    for asset in sorted(static.rglob("*")) if static.is_dir() else []:
        if asset.is_file():
            files["static/" + asset.relative_to(static).as_posix()] = asset.read_bytes()
    return files
