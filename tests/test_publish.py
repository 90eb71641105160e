"""What a published site offers: sitemap, robots.txt, Atom feed, facts export, head tags, and the CI workflow."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import MINI, copy_project
from factsheet.pipeline import build_project
from factsheet.plan import FEED_ENTRIES

REPO = Path(__file__).resolve().parents[1]
BASE = "https://owner.github.io/some-repo/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The mini project built twice: published under BASE, and with no base URL at all."""
    project = copy_project(MINI, tmp_path_factory.mktemp("publish") / "mini")
    built = {}
    for name, base_url in [("published", BASE), ("local", "")]:
        built[name] = project.parent / name
        build_project(project, built[name], strict=True, base_url=base_url)
    return built


def read_export(site: Path) -> dict:
    return json.loads((site / "facts.json").read_text(encoding="utf-8"))


# --- sitemap and robots.txt -----------------------------------------------------------------


def test_sitemap_lists_every_indexable_page_by_absolute_url(sites):
    root = ET.parse(sites["published"] / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset"
    locs = [e.text for e in root.iter(f"{SITEMAP}loc")]
    assert len(locs) == len(set(locs))
    html_pages = {p.relative_to(sites["published"]).as_posix() for p in sites["published"].rglob("*.html")}
    for loc in locs:
        assert loc.startswith(BASE)
        path = loc[len(BASE) :]
        assert (path + "index.html" if path == "" or path.endswith("/") else path) in html_pages
    for expected in ["", "devices/alpha/", "sources/alpha-news/", "history/", "europe/", "about/"]:
        assert BASE + expected in locs
    # the 404 page and the search page are not meant to be found by crawlers
    assert not [loc for loc in locs if "404" in loc or "search" in loc]


def test_robots_txt_points_at_the_sitemap(sites):
    robots = (sites["published"] / "robots.txt").read_text()
    assert re.findall(r"^Sitemap: (\S+)$", robots, re.M) == [BASE + "sitemap.xml"]
    assert "User-agent: *" in robots
    assert not re.search(r"^Disallow: /", robots, re.M)


def test_without_base_url_no_sitemap_or_feed_is_written_and_robots_names_none(sites):
    # Both formats require absolute URLs; a build without a base URL has none to give.
    local = sites["local"]
    assert not (local / "sitemap.xml").exists()
    assert not (local / "feed.xml").exists()
    assert "Sitemap:" not in (local / "robots.txt").read_text()
    assert "application/atom+xml" not in (local / "index.html").read_text()


# --- Atom feed ------------------------------------------------------------------------------


def test_feed_is_valid_atom_with_every_required_element(sites):
    feed = ET.parse(sites["published"] / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for name in ["id", "title", "updated"]:
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), f"feed has no {name}"
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.findtext(f"{ATOM}author/{ATOM}name").strip()
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == BASE + "feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ["id", "title", "updated"]:
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), f"entry has no {name}"
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(BASE)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids))


def test_feed_has_one_entry_per_fact_dated_by_its_content(sites):
    facts = {f["url"]: f for f in read_export(sites["published"])["facts"]}
    feed = ET.parse(sites["published"] / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert {e.findtext(f"{ATOM}id") for e in entries} == set(facts)  # ids: the fact's permanent URL
    for entry in entries:
        fact = facts[entry.findtext(f"{ATOM}id")]
        written = fact["date"].split()[-1]  # "late 2022-07" → "2022-07"
        assert entry.findtext(f"{ATOM}updated").startswith(written)
        if fact["title"]:
            assert entry.findtext(f"{ATOM}title") == fact["title"]
    newest = max(e.findtext(f"{ATOM}updated") for e in entries)
    assert feed.findtext(f"{ATOM}updated") >= newest  # never older than its newest entry


def test_feed_entry_content_is_escaped_html_naming_its_sources(sites):
    feed = ET.parse(sites["published"] / "feed.xml").getroot()
    for entry in feed.findall(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        assert '<a href="' + BASE + "sources/" in content.text  # parsed text is the HTML, links absolute


# --- facts.json -----------------------------------------------------------------------------

SCHEMA = json.loads((REPO / "schema" / "facts-export.schema.json").read_text())


def test_export_schema_is_itself_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("site", ["published", "local"])
def test_export_validates_against_its_schema(sites, site: str):
    export = read_export(sites[site])
    jsonschema.Draft202012Validator(SCHEMA).validate(export)
    assert export["schema_version"] == SCHEMA["properties"]["schema_version"]["const"]


@pytest.mark.parametrize(
    "invalid",
    [
        # a citation without its quote
        lambda data: data["facts"][0]["citations"][0].pop("quote"),
        # an unknown field: the schema must be updated with the export
        lambda data: data["facts"][0].update(extra=1),
        # a newer, incompatible version
        lambda data: data.update(schema_version=3),
    ],
)
def test_export_schema_rejects_a_changed_export(sites, invalid):
    export = read_export(sites["published"])
    invalid(export)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(export)


def test_export_has_every_fact_citation_and_verdict_of_the_content(sites):
    export = read_export(sites["published"])
    content = MINI / "content"
    claims = yaml.safe_load((content / "history.yaml").read_text())["events"]
    for device in sorted((content / "devices").glob("*.yaml")):
        claims += yaml.safe_load(device.read_text()).get("facts", [])
    by_id = {f["id"]: f for f in export["facts"]}
    assert sorted(by_id) == sorted(c["id"] for c in claims)
    for claim in claims:
        exported = by_id[claim["id"]]
        assert exported["text"] == claim["text"]
        assert [(c["source"], c["quote"]) for c in exported["citations"]] == [(c["source"], c["quote"]) for c in claim["citations"]]
        for citation in exported["citations"]:
            assert citation["url"] == f"{BASE}sources/{citation['source']}/#{citation['passage']}"
            assert citation["language"]
    europe = yaml.safe_load((content / "europe.yaml").read_text())["devices"]
    assert sorted(v["device"] for v in export["europe"]) == sorted(e["device"] for e in europe)


def test_export_urls_are_relative_to_it_without_a_base_url(sites):
    export = read_export(sites["local"])
    urls = [f["url"] for f in export["facts"]] + [c["url"] for f in export["facts"] for c in f["citations"]]
    assert all(not re.match(r"^[a-z]+:|^/", url) for url in urls)
    for url in urls:
        path, _, fragment = url.partition("#")
        assert (sites["local"] / path / "index.html").is_file()
        assert f'id="{fragment}"' in (sites["local"] / path / "index.html").read_text()


# --- head tags ------------------------------------------------------------------------------


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("name") or attrs["property"]] = attrs["content"]
        if tag == "link":
            # Alternates by type (feed, JSON) or by language (hreflang: the page's other editions).
            kind = attrs.get("type") or "hreflang=" + attrs.get("hreflang", "")
            self.links[attrs["rel"] + (":" + kind if attrs.get("rel") == "alternate" else "")] = attrs["href"]
        self._in_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(data)

    def handle_endtag(self, tag):
        self._in_ld = False


def head_of(site: Path, page: str) -> Head:
    head = Head()
    head.feed((site / page).read_text(encoding="utf-8"))
    return head


@pytest.mark.parametrize(
    "page, url, ld_type",
    [
        ("index.html", "", "WebSite"),
        ("sources/alpha-news/index.html", "sources/alpha-news/", "Article"),
        # a rumoured or announced phone is no Product on sale: no structured data claims it is
        ("devices/beta/index.html", "devices/beta/", None),
        ("history/index.html", "history/", None),
    ],
)
def test_pages_carry_description_open_graph_icon_and_fitting_structured_data(sites, page, url, ld_type):
    head = head_of(sites["published"], page)
    assert head.meta["description"]
    assert head.meta["og:description"] == head.meta["description"]
    assert head.meta["og:title"] and head.meta["og:site_name"] and head.meta["og:type"]
    assert head.meta["og:url"] == head.links["canonical"] == BASE + url
    assert (sites["published"] / page).parent.joinpath(head.links["icon"]).resolve().is_file()
    assert head.links["alternate:application/atom+xml"].endswith("feed.xml")
    data = [json.loads(text) for text in head.json_ld]
    assert [d["@type"] for d in data] == ([ld_type] if ld_type else [])
    for item in data:
        assert item["@context"] == "https://schema.org"
        assert BASE + url in (item.get("url"), item.get("archivedAt"))


def test_json_ld_cannot_be_broken_out_of_by_content(sites, tmp_path: Path):
    project = copy_project(MINI, tmp_path / "mini")
    source = project / "content" / "sources" / "alpha-news.yaml"
    source.write_text(source.read_text().replace("title: Alpha Phone launches", 'title: "</script><b>Alpha</b>"'))
    build_project(project, tmp_path / "out", base_url=BASE)
    html = (tmp_path / "out" / "sources" / "alpha-news" / "index.html").read_text()
    script = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(script)["headline"] == "</script><b>Alpha</b>"


# --- the CI workflow ------------------------------------------------------------------------

WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"
# actionlint checks every workflow in tests/test_workflows.py.


def workflow() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1).
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_runs_the_readmes_test_and_build_commands():
    readme = (REPO / "README.md").read_text()
    documented = [command for command in ("make test", "make build") if command in readme]
    assert documented == ["make test", "make build"], "README.md no longer documents make test / make build"
    runs = [step.get("run", "") for step in workflow()["jobs"]["build"]["steps"]]
    position = {command: next(i for i, run in enumerate(runs) if run.startswith(command)) for command in documented}
    assert position["make test"] < position["make build"]  # nothing is built from an untested commit
    build = runs[position["make build"]]
    assert "--strict" in build and "--base-url $BASE_URL/" in build
    step = workflow()["jobs"]["build"]["steps"][position["make build"]]
    assert step["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"


def test_workflow_deploys_only_from_main_one_deploy_at_a_time():
    flow = workflow()
    assert set(flow[True]) == {"push", "pull_request", "workflow_dispatch"}
    assert flow[True]["push"]["branches"] == ["main"]
    deploy = flow["jobs"]["deploy"]
    assert "github.event_name != 'pull_request'" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    uploads = [s for s in flow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert [s["with"]["path"] for s in uploads] == ["_site"]


def test_a_large_site_feeds_only_its_newest_claims(tmp_path: Path):
    """A feed reader wants what is new: a site of thousands of claims feeds the newest FEED_ENTRIES."""
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate  # the benchmark's synthetic corpus: ten claims per device

    generate(20, tmp_path / "corpus")
    build_project(tmp_path / "corpus", tmp_path / "site", base_url=BASE, search=False)
    facts = read_export(tmp_path / "site")["facts"]
    entries = ET.parse(tmp_path / "site" / "feed.xml").getroot().findall(f"{ATOM}entry")
    assert len(facts) > FEED_ENTRIES == len(entries)
    newest = facts[-FEED_ENTRIES:]  # the export lists the facts oldest first, as the feed orders them
    assert [e.findtext(f"{ATOM}id") for e in entries] == [f["url"] for f in reversed(newest)]


@pytest.mark.parametrize(
    "value",
    [
        # text: quotes, backslashes, every control character, DEL, line separators, German, CJK, emoji
        {"text": 'a "quoted" \\ back\\slash'},
        {"text": "".join(chr(c) for c in range(0x20)) + "\x7f"},
        {"text": "\u2028\u2029 „Zitat“ – 小米 😀 \U0001f4f7"},
        # nesting, None, integers, booleans, empty containers, keys out of order
        {"z": None, "a": [1, -2, 2**53], "m": {"b": True, "a": False}, "e": [], "d": {}},
        # a lone surrogate (YAML's "\ud800" escape): orjson refuses it, the reference decides
        {"text": "x\ud800"},
    ],
)
def test_the_fast_json_encoder_writes_the_references_bytes(value) -> None:
    from factsheet.publish import _encode, encode_json

    try:
        expected = _encode(value).encode("utf-8")
    except UnicodeEncodeError as error:
        with pytest.raises(UnicodeEncodeError):
            encode_json(value)
        assert error
        return
    assert encode_json(value) == expected
