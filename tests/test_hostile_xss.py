"""No injection: XSS payloads in every text field come out inert, and links to code are located errors.

The corpus is tests/payloads/xss.txt. Each payload goes into every text field of the mini
project (fact and event text, titles, names, notes, summaries, relay names, markets,
reasoning, the page's front matter and body, the site's title) and, verbatim, into a seed and
a quote citing it. Every output file is then parsed: no script but the site's own, no `on*`
attribute, no javascript:/data:/vbscript: link or source, no element the site does not make.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import MINI, copy_project
from factsheet import render
from factsheet.pipeline import check_project, render_project
from factsheet.problems import ContentError
from payloads import inject, xss_payloads

PAYLOADS = xss_payloads()
BASE = "https://example.org/mini/"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background", "cite"}
CODE_SCHEMES = ("javascript:", "data:", "vbscript:")
OWN_SCRIPT_TYPES = {"application/ld+json", "module"}


class Inert(HTMLParser):
    """Collect what would make a page run code: scripts, event handlers, links to code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value is not None:
                # as a browser reads the scheme: blanks and controls around, tabs and newlines anywhere, dropped
                seen = (
                    re.sub(r"[\t\n\r]", "", value)
                    .strip(
                        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11"
                        "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
                    )
                    .lower()
                )
                if seen.startswith(CODE_SCHEMES):
                    self.bad.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            own = values.get("type") in OWN_SCRIPT_TYPES and (
                values.get("type") != "module" or re.match(r"^(\.\./)*static/[\w.-]+\.js$", values.get("src") or "")
            )
            if not own:
                self.bad.append(f"<script {values}>")
        if tag == "meta" and "http-equiv" in values and values["http-equiv"].lower() != "content-security-policy":
            self.bad.append(f"<meta http-equiv={values['http-equiv']!r}>")


def scan_html(text: str) -> Inert:
    parser = Inert()
    parser.feed(text)
    parser.close()
    return parser


def scan_site(files: dict[str, bytes]) -> tuple[list[str], set[str]]:
    """Return every sign of injected code in the site's files, and the HTML tags used."""
    bad, tags = [], set()
    for name, data in sorted(files.items()):
        if name.endswith(".html"):
            found = scan_html(data.decode("utf-8"))
            bad += [f"{name}: {b}" for b in found.bad]
            tags |= found.tags
        elif name.endswith(".xml"):
            root = ElementTree.fromstring(data)  # an injected tag would break the XML or show up here
            for element in root.iter():
                if element.get("type") == "html" and element.text:
                    found = scan_html(element.text)  # what a feed reader renders
                    bad += [f"{name} (html content): {b}" for b in found.bad]
        elif name.endswith(".json"):
            json.loads(data)
    return bad, tags


@pytest.fixture(scope="module")
def baseline_tags(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The HTML tags the site makes from harmless content."""
    files, _, _ = render_project(copy_project(MINI, tmp_path_factory.mktemp("plain") / "mini"), base_url=BASE)
    bad, tags = scan_site(files)
    assert bad == []
    return tags


@pytest.mark.parametrize("payload", PAYLOADS["escaped"])
def test_a_payload_in_every_text_field_comes_out_inert(mini_project: Path, payload: str, baseline_tags: set[str]) -> None:
    project = mini_project
    inject(project, payload)
    files, _, _ = render_project(project, base_url=BASE)
    bad, tags = scan_site(files)
    assert bad == []
    assert tags <= baseline_tags, f"the payload made elements the site never makes: {tags - baseline_tags}"
    if "<" in payload:  # markup shown as text is escaped: the raw payload is in no page
        assert not [name for name, data in files.items() if name.endswith(".html") and payload in data.decode()]


@pytest.mark.parametrize("payload", PAYLOADS["refused"])
def test_a_link_to_code_in_a_quote_is_shown_as_text(mini_project: Path, payload: str, baseline_tags: set[str]) -> None:
    project = mini_project
    inject(project, payload, everywhere=False)
    files, _, _ = render_project(project, base_url=BASE)
    bad, tags = scan_site(files)
    assert bad == [] and tags <= baseline_tags


# (file, the line to replace, how the new line starts before the value) for Markdown-bearing fields
FIELDS = [
    ("content/devices/alpha.yaml", "    text: The Alpha Phone was presented in *Berlin*.", "    text: "),
    ("content/devices/alpha.yaml", "name: Alpha Phone", "name: "),
    ("content/sources/alpha-news.yaml", "title: Alpha Phone launches", "title: "),
    ("content/europe.yaml", "    reasoning: A spokesperson said no.", "    reasoning: "),
    ("content/history.yaml", "    text: The phone was presented in Berlin.", "    text: "),
    ("content/site.yaml", "description: A tiny site for the tests.", "description: "),
]


@pytest.mark.parametrize("payload", PAYLOADS["refused"])
@pytest.mark.parametrize("file, line, prefix", FIELDS, ids=[f"{f[0].split('/')[-1]}:{f[2].strip()}" for f in FIELDS])
def test_a_link_to_code_in_any_text_field_is_a_located_error(mini_project: Path, payload: str, file: str, line: str, prefix: str) -> None:
    path = mini_project / file
    lines = path.read_text().split("\n")
    number = lines.index(line)
    lines[number] = prefix + json.dumps(payload)  # a JSON string is a YAML double-quoted scalar
    path.write_text("\n".join(lines))
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1 and problems[0].startswith(f"{file}:{number + 1}:{len(prefix) + 1}: error: link to '"), problems
    assert "refused: links may only be https://, http:// or relative" in problems[0]


@pytest.mark.parametrize("payload", PAYLOADS["refused"])
def test_a_link_to_code_in_a_page_body_is_a_located_error(mini_project: Path, payload: str) -> None:
    page = mini_project / "content/pages/about.md"
    page.write_text(page.read_text() + f"\nSome text.\n\nSee {payload} here.\n")
    number = page.read_text().split("\n").index(f"See {payload} here.") + 1
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    assert [(p.file, p.line) for p in caught.value.problems] == [("content/pages/about.md", number)]
    assert caught.value.problems[0].column > len("See")


def test_a_reference_link_to_code_is_a_located_error(mini_project: Path) -> None:
    page = mini_project / "content/pages/about.md"
    page.write_text(page.read_text() + "\nSee [the trick][t].\n\n[t]: javascript:alert(1)\n")
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    assert [str(p) for p in caught.value.problems] == [
        "content/pages/about.md:9:6: error: link to 'javascript:alert(1)' refused: links may only be https://, http:// or relative; remove it or link to a web page"
    ]


@pytest.mark.parametrize(
    "url, kept",
    [
        # web and relative links stay links
        ("https://example.org/", True),
        ("http://example.org/a?b#c", True),
        ("../sources/alpha-news/", True),
        ("#p-1234", True),
        ("//example.org/x", True),
        # anything else becomes text
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:image/png;base64,AAAA", False),
        ("vbscript:x", False),
        ("mailto:a@example.org", False),
        ("file:///etc/passwd", False),
        # percent-encoded by the renderer, so no scheme a browser would read: kept, harmless
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
    ],
)
def test_the_markdown_renderer_keeps_only_web_and_relative_links(url: str, kept: bool | None) -> None:
    html = str(render.inline_markdown(f"[x](<{url}>)"))
    assert scan_html(html).bad == []
    if kept is not None:
        assert ("<a href" in html) is kept, html
