"""Stage 5, render: relative links that work under any sub-path, and text that cannot become markup."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from markupsafe import escape

from factsheet.markup import escape_html
from factsheet.pipeline import render_project
from factsheet.plan import Page
from factsheet.render import _template_cache, block_markdown, inline_markdown, relative_link, simple_inline
from factsheet.verify import MARKDOWN


@pytest.mark.parametrize(
    "page_url, target, expected",
    [
        # from the home page
        ("", "devices/xiaomi-12/", "devices/xiaomi-12/index.html"),
        ("", "", "index.html"),
        # from a nested page, with a fragment
        ("sources/a/", "devices/x/#fact-1", "../../devices/x/index.html#fact-1"),
        ("history/", "static/site.css", "../static/site.css"),
        # a fragment on the same page stays a fragment
        ("europe/", "#xiaomi-12", "#xiaomi-12"),
    ],
)
def test_links_are_relative_to_the_page(page_url, target, expected) -> None:
    assert relative_link(Page(page_url, "x.html", "x"), target) == expected


@pytest.mark.parametrize(
    "text, html",
    [
        # plain text is escaped
        ("Leica & Xiaomi <3", "Leica &amp; Xiaomi &lt;3"),
        # inline Markdown formats
        ("the *12S Ultra*", "the <em>12S Ultra</em>"),
        # raw HTML stays text
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        # a javascript: link is not made a link
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ],
)
def test_inline_markdown_formats_but_never_passes_html(text, html) -> None:
    assert str(inline_markdown(text)) == html


# What simple_inline must write as markdown-it does, or leave to it: plain words, the spans it
# takes, delimiters next to letters, stops, other delimiters and Unicode spaces and punctuation.
_PIECES = ["*", "`", " ", "a", "ab", "ä", "1", ".", "(", ")", '"', "'", "\t", "\xa0", "-", ",", "?", ":", "#", "\u3000", "\u0301",
           "’", "«", "…", "!", "_", "&", "\n", "*a*", "`c`", "*ab cd*", "`a b`", "`*`", "*`a`*", "**a**", "` a `", "*a *", "* a*",
           "x*y*", "*é*", "*1.*", "*.a*", "`a``", "``a``", "*a*b", "[a](b)"]  # fmt: skip


def test_simple_inline_writes_what_markdown_it_writes() -> None:
    rng = random.Random(14)
    texts = ["the *12S Ultra*", 'a `camera` and *the "price"*.', "(*a*) `b` *c*, *d*: *e*? *f*; *g*", "*Leica*", "`x`"]
    texts += ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8))) for _ in range(6000)]
    taken = 0
    for text in texts:
        html = simple_inline(text)
        if html is not None:
            assert html == MARKDOWN.renderInline(text), text
            taken += "<" in html
    assert simple_inline("the *12S Ultra*") == "the <em>12S Ultra</em>"
    assert taken > 150  # the spans are really taken, not all left to markdown-it


@pytest.mark.parametrize(
    "text",
    [
        # nothing to escape: the very string back
        "Xiaomi 12S Ultra",
        "",
        # each special character, alone and together
        "&",
        "<script>alert(1)</script>",
        '" onmouseover="x',
        "it's",
        "&amp; already escaped is escaped again",
        "a & b < c > d \" e ' f",
    ],
)
def test_escape_html_writes_what_markupsafe_writes(text) -> None:
    assert escape_html(text) == str(escape(text))
    assert type(escape_html(text)) is str


def test_page_markdown_has_raw_html_off() -> None:
    assert str(block_markdown("**a**\n\n<b onclick=x>b</b>")) == "<p><strong>a</strong></p>\n<p>&lt;b onclick=x&gt;b&lt;/b&gt;</p>\n"


def test_a_template_mistake_is_a_located_error_not_a_traceback(mini_project) -> None:
    from factsheet.pipeline import render_project
    from factsheet.problems import ContentError

    template = mini_project / "templates" / "device.html"
    lines = template.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "device.name" in text)
    lines[line - 1] = lines[line - 1].replace("device.name", "device.nme")
    template.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as error:
        render_project(mini_project)
    [problem] = error.value.problems
    assert (problem.file, problem.line) == ("templates/device.html", line)
    assert "has no attribute 'nme'" in problem.message


def test_a_changed_template_is_compiled_again_not_taken_from_the_cache(mini_project: Path):
    render_project(mini_project)  # compiles the templates into the cache
    template = mini_project / "templates" / "page.html"
    template.write_text(template.read_text("utf-8").replace("{% block main %}", "{% block main %}<p>changed</p>", 1), "utf-8")
    files = render_project(mini_project)[0]
    assert b"<p>changed</p>" in files["about/index.html"]


def test_a_build_works_where_no_template_cache_can_be_kept(mini_project: Path, tmp_path: Path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))  # where Jinja would keep compiled templates
    _template_cache.cache_clear()  # made once per process: make it again, here
    try:
        assert _template_cache() is None
        assert b"Alpha" in render_project(mini_project)[0]["index.html"]
    finally:
        _template_cache.cache_clear()
