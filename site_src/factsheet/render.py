"""Stage 5, render: every planned page through its Jinja template; the only place text becomes HTML."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from .model import Site
from .plan import Page, SitePlan
from .publish import export_facts, structured_data

# Raw HTML off: Markdown in content can format text, never inject markup.
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})
_MARKUP = re.compile(r"[*_`\[\]<>&\\!]")


def inline_markdown(text: str) -> Markup:
    """Return a fact's inline Markdown as safe HTML (plain text is only escaped: much cheaper)."""
    if not _MARKUP.search(text):
        return escape(text)
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
        template = env.get_template(page.template)

        def rel(target: str, page: Page = page) -> str:
            link = relative_link(page, target)
            return root + link if page.anywhere and not link.startswith("#") else link

        html = template.render(**page.context, page=page, site=site, rel=rel, base_url=base_url)
        files[page.output] = html.encode("utf-8")
    files["facts.json"] = export_facts(plan, site, base_url)
    static = templates / "static"
    for asset in sorted(static.rglob("*")) if static.is_dir() else []:
        if asset.is_file():
            files["static/" + asset.relative_to(static).as_posix()] = asset.read_bytes()
    return files
