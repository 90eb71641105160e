"""Trust a reader can check: quotes that say something, translations beside them, pinned
sources, one statement one claim, and Europe verdicts by a stated rule, not by list order."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, copy_project
from factsheet.pipeline import check_project
from factsheet.plan import plan_site
from factsheet.problems import ContentError
from factsheet.model import parse_partial_date
from factsheet.verify import SearchableText, quote_problem


def problems_of(project: Path, strict: bool = False) -> list[str]:
    try:
        return [str(p) for p in check_project(project, strict).warnings]
    except ContentError as error:
        return [str(p) for p in error.problems]


def add_fact(project: Path, quote: str, translation: str | None = "Our rendering.") -> None:
    """Add one fact citing `quote` of the mini project's (German-labelled) source to alpha."""
    alpha = project / "content/devices/alpha.yaml"
    lines = [
        "  - id: added-fact",
        "    text: Added.",
        '    date: "2022-07"',
        "    standing: report",
        "    citations:",
        "      - source: alpha-news",
        f"        quote: {json.dumps(quote)}",
    ]
    if translation is not None:
        lines.append(f"        translation: {json.dumps(translation)}")
    alpha.write_text(alpha.read_text() + "\n".join(lines) + "\n")


# --- Quotes that say something ------------------------------------------------------------


@pytest.mark.parametrize(
    "quote, message",
    [
        # cut from inside a word, at the start or the end
        ("lpha Phone was presented", "quote cut from inside the word 'Alpha'"),
        ("The Alpha Phone was presen", "quote cut from inside the word 'presented'"),
        # only punctuation
        (".", "the quote has no words, only punctuation"),
        # too short out of its sentence
        ("Alpha Phone", "the quote has 2 words, too few"),
        ("Berlin", "the quote has 1 word, too few"),
    ],
)
def test_a_quote_that_proves_nothing_is_a_located_error(mini_project: Path, quote: str, message: str) -> None:
    add_fact(mini_project, quote)
    found = [p for p in problems_of(mini_project) if message in p]
    assert found and re.match(r"content/devices/alpha\.yaml:\d+:\d+: error: ", found[0]), problems_of(mini_project)


@pytest.mark.parametrize(
    "source, quote",
    [
        # a whole line (a heading) of two words
        ("Kalte Dusche\n\nDer Text.", "Kalte Dusche"),
        # a whole sentence of two words
        ("Es regnet. Kein Launch. Sonst nichts.", "Kein Launch."),
        # three words inside a sentence
        ("Xiaomi bestätigt die Partnerschaft heute.", "bestätigt die Partnerschaft"),
    ],
)
def test_a_short_quote_that_is_a_whole_sentence_or_line_is_accepted(source: str, quote: str) -> None:
    text = SearchableText(source)
    span = text.find(quote)
    assert span is not None and quote_problem(quote, text, span) is None


def test_a_quote_is_found_at_its_first_whole_word_occurrence() -> None:
    # "ein Launch" first occurs inside "Kein Launch"; the whole-word occurrence comes later
    source = "Kein Launch in Europa? Doch, ein Launch in Europa folgt."
    start, end = SearchableText(source).find("ein Launch in Europa")
    assert source[start:end] == "ein Launch in Europa" and start > 5


# --- Translations -------------------------------------------------------------------------


def test_a_non_english_quote_without_translation_warns_and_fails_strict(mini_project: Path) -> None:
    add_fact(mini_project, "It will not come to Europe", translation=None)
    warning = [p for p in problems_of(mini_project) if "has no translation" in p]
    assert warning and ": warning: the quote is in 'de' and has no translation" in warning[0]
    with pytest.raises(ContentError):
        check_project(mini_project, strict=True)


def test_an_english_quote_with_a_translation_warns(mini_project: Path) -> None:
    source = mini_project / "content/sources/alpha-news.yaml"
    source.write_text(source.read_text().replace("language: de", "language: en"))
    assert any("the quote is already in English; remove `translation:`" in p for p in problems_of(mini_project))


def test_every_quote_not_in_the_readers_language_has_its_translation_beside_it(built_site: Path) -> None:
    shown = {"en": 0, "de": 0}
    for page in built_site.rglob("*.html"):
        reader = "de" if page.relative_to(built_site).parts[0] == "de" else "en"
        html = page.read_text("utf-8")
        for details in re.findall(r'<details class="quote">.*?</details>', html, re.S):
            lang = re.search(r'<blockquote lang="([^"]+)"', details).group(1)
            if lang != reader:
                assert re.search(rf'<p class="translation" lang="{reader}"><span class="translation-label">[^<]+:</span> \S', details), (
                    page,
                    details,
                )
                shown[reader] += 1
            else:
                assert 'class="translation"' not in details
    assert shown["en"] > 100 and shown["de"] > 10


def test_source_pages_and_the_export_carry_the_translations(built_site: Path) -> None:
    facts = json.loads((built_site / "facts.json").read_text("utf-8"))
    citations = [c for fact in facts["facts"] for c in fact["citations"]]
    assert all((c["translation"] is None) == (c["language"] == "en") for c in citations)
    page = (built_site / "sources/12s-ultra-italy-lei-jun/index.html").read_text("utf-8")
    uses = re.findall(r'<div class="passage-uses".*?</div>', page, re.S)
    assert uses and all('<p class="translation" lang="en">' in block for block in uses)


# --- Pinned sources -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(p.name for p in (REPO / "seeds").glob("*.txt")))
def test_a_changed_byte_in_any_seed_stops_the_build_naming_the_text(real_project: Path, seed: str) -> None:
    file = real_project / "seeds" / seed
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    file.write_bytes(bytes(data))
    errors = [p for p in problems_of(real_project) if ": error: " in p and f"seeds/{seed} has changed since it was pinned" in p]
    assert len(errors) == 1 and re.match(r"content/sources/[\w-]+\.yaml:\d+:\d+: ", errors[0])


def test_a_source_without_a_pin_is_an_error_offering_the_hash(mini_project: Path) -> None:
    source = mini_project / "content/sources/alpha-news.yaml"
    source.write_text(re.sub(r"\nsha256: \w+", "", source.read_text()))
    digest = hashlib.sha256((mini_project / "seeds/alpha.txt").read_bytes()).hexdigest()
    assert any(f"seeds/alpha.txt is not pinned; add the line `sha256: {digest}`" in p for p in problems_of(mini_project))


def test_source_pages_show_the_pin_and_the_size(built_site: Path) -> None:
    page = (built_site / "sources/xiaomi-leica-official/index.html").read_text("utf-8")
    data = (REPO / "seeds/004_4b04a13161511791.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() in page
    assert f"{len(data):,} bytes" in page


# --- One statement, one claim -------------------------------------------------------------


def test_two_claims_quoting_one_passage_in_one_chain_warn(mini_project: Path) -> None:
    add_fact(mini_project, "It will not come to Europe")
    europe = mini_project / "content/europe.yaml"
    europe.write_text(europe.read_text().replace("claims: [alpha-not-europe]", "claims: [alpha-not-europe, added-fact]"))
    assert any(
        "'added-fact' and 'alpha-not-europe' quote the same passage of source 'alpha-news'" in p for p in problems_of(mini_project)
    ), problems_of(mini_project)


# --- Europe verdicts by rule --------------------------------------------------------------


def verdict_for(project: Path, facts: dict[str, tuple[str, str, str | None]], extra: str = "") -> object:
    """Add a device gamma whose chain is `facts` (id -> date, standing, stance); return its verdict."""
    text = "".join(
        f'  - id: {cid}\n    text: Claim {cid}.\n    date: "{date}"\n    standing: {standing}\n'
        + (f'    europe: "{stance}"\n' if stance else "")
        + '    citations:\n      - source: alpha-news\n        quote: "Alpha Phone launches"\n        translation: "x"\n'
        for cid, (date, standing, stance) in facts.items()
    )
    (project / "content/devices/gamma.yaml").write_text(
        "name: Gamma\nmaker: Alpha\nstatus: rumoured\nleica: unknown\n" + extra + "facts:\n" + text
    )
    europe = project / "content/europe.yaml"
    europe.write_text(europe.read_text() + f"  - device: gamma\n    reasoning: Because.\n    claims: [{', '.join(facts)}]\n")
    return plan_site(check_project(project).verified).verdicts["gamma"]


@pytest.mark.parametrize(
    "facts, answer, evidence, deciding",
    [
        # the latest claim wins, whatever its standing
        ({"a": ("2022-03", "official", "no"), "b": ("2022-07", "rumour", "expected")}, "expected", "rumour only", ["b"]),
        # a month and a day inside it are the same time: the stronger standing wins
        ({"a": ("2022-07", "official", "no"), "b": ("2022-07-20", "report", "expected")}, "no", "official statement", ["a"]),
        ({"a": ("2022", "opinion", "no"), "b": ("late 2022-03", "report", "expected")}, "expected", "press report", ["b"]),
        # same time, same standing, different answers: disputed, both sides decide
        ({"a": ("2022-07", "report", "no"), "b": ("2022-07", "report", "expected")}, "disputed", "press reports disagree", ["a", "b"]),
        # same time, same standing, same answer: both decide, no dispute
        ({"a": ("2022-07", "report", "no"), "b": ("2022-07-02", "report", "no")}, "no", "press report", ["a", "b"]),
        # commentary alone reads as such
        ({"a": ("2022-07", "opinion", "expected")}, "expected", "commentary only", ["a"]),
        # no stance at all
        ({"a": ("2022-07", "official", None)}, "unclear", "no source takes a stance", []),
    ],
)
def test_the_europe_answer_follows_the_stated_rule(mini_project: Path, facts, answer, evidence, deciding) -> None:
    verdict = verdict_for(mini_project, facts)
    assert (verdict.answer, verdict.evidence, [v.id for v in verdict.deciding]) == (answer, evidence, deciding)


def test_a_name_never_used_answers_name_not_used(mini_project: Path) -> None:
    verdict = verdict_for(mini_project, {"a": ("2022-07", "official", "no")}, extra="shipped_as: alpha\n")
    assert (verdict.answer, verdict.label, verdict.evidence) == ("name-not-used", "Name not used", "shipped as the Alpha Phone")


def shuffle_lists(data: object, rng: random.Random) -> object:
    """Return `data` with every list in it (at any depth) in a random order."""
    if isinstance(data, dict):
        return {key: shuffle_lists(value, rng) for key, value in data.items()}
    if isinstance(data, list):
        items = [shuffle_lists(item, rng) for item in data]
        rng.shuffle(items)
        return items
    return data


def verdicts_of(project: Path) -> dict[str, tuple]:
    plan = plan_site(check_project(project).verified)
    return {device: (v.answer, v.evidence, tuple(c.id for c in v.deciding)) for device, v in plan.verdicts.items()}


@pytest.fixture(scope="module")
def real_verdicts() -> dict[str, tuple]:
    return verdicts_of(REPO)


# Each example rebuilds the real site's plan from files: a few by default, many in the long run (make fuzz).
REORDERINGS = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 4


@settings(max_examples=REORDERINGS, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_reordering_every_list_in_the_content_changes_no_verdict(tmp_path_factory, real_verdicts, rng) -> None:
    project = copy_project(REPO, tmp_path_factory.mktemp("shuffled"))
    for file in sorted((project / "content").rglob("*.yaml")):
        data = yaml.load(file.read_text("utf-8"), Loader=yaml.CSafeLoader)  # libyaml's: the same data, several times faster
        file.write_text(
            yaml.dump(shuffle_lists(data, rng), Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=10_000), "utf-8"
        )
    assert verdicts_of(project) == real_verdicts


def test_the_rule_is_written_where_readers_and_editors_see_it(built_site: Path) -> None:
    for text in (
        (built_site / "europe/index.html").read_text("utf-8"),
        (built_site / "about/index.html").read_text("utf-8"),
        (REPO / "docs/editing.md").read_text("utf-8"),
    ):
        assert re.search(r"latest", text) and re.search(r"official.{0,80}report.{0,80}opinion.{0,80}rumour", text, re.S | re.I)
        assert "isputed" in text


def test_every_view_of_a_verdict_carries_the_strength_of_its_evidence(built_site: Path) -> None:
    facts = json.loads((built_site / "facts.json").read_text("utf-8"))
    for verdict in facts["europe"]:
        assert verdict["evidence"]
        pages = [built_site / "index.html", built_site / "europe/index.html", built_site / f"devices/{verdict['device']}/index.html"]
        for page in pages:
            assert f'answer-{verdict["answer"]}">{verdict["label"]}</span> <span class="evidence">{verdict["evidence"]}' in page.read_text(
                "utf-8"
            ), page


# --- Background is not an event -----------------------------------------------------------


def test_background_stays_off_the_timeline_and_the_latest_events(built_site: Path) -> None:
    history = yaml.safe_load((REPO / "content/history.yaml").read_text("utf-8"))
    background = {item["id"] for item in history.get("background", [])}
    assert background, "the real content has background facts"
    home = (built_site / "index.html").read_text("utf-8")
    latest = re.search(r'<ol class="events-short">(.*?)</ol>', home, re.S).group(1)
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', (built_site / "history/index.html").read_text("utf-8"), re.S).group(1)
    for bid in background:
        assert f'#{bid}"' not in latest and f'id="{bid}"' not in timeline


# --- Dates as precise as the sources: ranges ----------------------------------------------


@pytest.mark.parametrize(
    "written, shown, first, last",
    [
        ("2022-04/2022-06", "April–June 2022", "2022-04-01", "2022-06-30"),
        ("late 2022-03/2022-06", "late March–June 2022", "2022-03-21", "2022-06-30"),
        ("2022-07-04/2022-07-20", "4 July 2022 – 20 July 2022", "2022-07-04", "2022-07-20"),
        ("2021-11/2022-02", "November 2021 – February 2022", "2021-11-01", "2022-02-28"),
        # single dates span their period
        ("mid 2022", "mid 2022", "2022-05-01", "2022-08-31"),
        ("late 2022-03", "late March 2022", "2022-03-21", "2022-03-31"),
    ],
)
def test_a_date_range_reads_as_written_and_spans_its_days(written: str, shown: str, first: str, last: str) -> None:
    date = parse_partial_date(written)
    assert (str(date), date.written, date.first_day.isoformat(), date.last_day.isoformat()) == (shown, written, first, last)


@pytest.mark.parametrize(
    "written, message",
    [
        ("2022-06/2022-04", "ends before it starts"),
        ("2022-07/2022-07", "starts and ends on the same date"),
        ("2022/2023/2024", "is not a date"),
        ("2022-07/July", "is not a date"),
    ],
)
def test_a_malformed_date_range_says_how_to_write_it(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_partial_date(written)


def test_latest_events_place_a_range_at_its_end(mini_project: Path) -> None:
    history = mini_project / "content/history.yaml"
    history.write_text(
        history.read_text()
        + (
            '  - id: after-launch\n    date: "2022-07/2022-12"\n    title: Said after the launch\n    text: Later.\n'
            '    standing: report\n    citations:\n      - source: alpha-news\n        quote: "The Alpha Phone was presented"\n'
            '        translation: "x"\n'
        )
    )
    pages = {p.url: p for p in plan_site(check_project(mini_project).verified).pages}
    assert [v.id for v in pages[""].context["latest_events"]] == ["after-launch", "alpha-launch"]
    assert [v.id for v in pages["history/"].context["events"]] == ["after-launch", "alpha-launch"]  # the timeline sorts by the start


def test_an_open_range_is_a_date_or_later() -> None:
    date = parse_partial_date("2022-07/..")
    assert (str(date), date.written, date.first_day.isoformat()) == ("July 2022 or later", "2022-07/..", "2022-07-01")
    assert date.last_day > parse_partial_date("2099").last_day  # later than any date the sources could give
