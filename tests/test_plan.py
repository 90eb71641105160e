"""Stage 4, plan: passages, back-links, disagreements and Europe verdicts derived from the claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from factsheet.pipeline import check_project
from factsheet.plan import Passage, plan_site, split_paragraphs


def plan_for(project: Path):
    return plan_site(check_project(project).verified)


def test_overlapping_quotes_share_one_highlighted_passage(mini_project: Path) -> None:
    # alpha-presented quotes 'presented in "Berlin" this week'; the history event quotes 'The Alpha Phone was presented'
    plan = plan_for(mini_project)
    passages = plan.passages["alpha-news"]
    assert len(passages) == 3
    first = passages[0]
    assert set(first.claims) == {"alpha-presented", "alpha-launch"}
    assert plan.claims["alpha-presented"].citations[0].passage == first.id
    assert plan.claims["alpha-launch"].citations[0].passage == first.id


def test_passage_anchors_are_stable_when_other_quotes_change(mini_project: Path) -> None:
    before = plan_for(mini_project).claims["beta-expected"].citations[0].passage
    beta = mini_project / "content" / "devices" / "alpha.yaml"
    beta.write_text(beta.read_text().replace("It will not come to Europe, a spokesperson said.", "a spokesperson said."))
    assert plan_for(mini_project).claims["beta-expected"].citations[0].passage == before


@pytest.mark.parametrize(
    "chain, stances, expected",
    [
        # the latest dated claim with a stance decides
        (["old", "new"], {"old": ("2022-03", "no"), "new": ("2022-07", "expected")}, "expected"),
        # list order does not matter, dates do
        (["new", "old"], {"old": ("2022-03", "no"), "new": ("2022-07", "expected")}, "expected"),
        # a claim without a stance does not decide
        (["old", "new"], {"old": ("2022-03", "no"), "new": ("2022-07", None)}, "no"),
        # no stance at all: unclear
        (["old"], {"old": ("2022-03", None)}, "unclear"),
    ],
)
def test_europe_answer_follows_the_latest_dated_claim(mini_project: Path, chain, stances, expected) -> None:
    facts = "".join(
        f'  - id: {cid}\n    text: Claim {cid}.\n    date: "{date}"\n    standing: report\n'
        + (f'    europe: "{stance}"\n' if stance else "")
        + '    citations:\n      - source: alpha-news\n        quote: "Alpha Phone launches"\n'
        for cid, (date, stance) in stances.items()
    )
    gamma = "name: Gamma\nmaker: Alpha\nstatus: expected\nleica: unknown\nfacts:\n" + facts
    (mini_project / "content" / "devices" / "gamma.yaml").write_text(gamma)
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(europe.read_text() + f"  - device: gamma\n    reasoning: Because.\n    claims: [{', '.join(chain)}]\n")
    verdict = plan_for(mini_project).verdicts["gamma"]
    assert verdict.answer == expected
    assert [v.id for v in verdict.chain] == sorted(stances, key=lambda c: stances[c][0])


def test_a_superseded_claim_no_longer_decides(mini_project: Path) -> None:
    beta = mini_project / "content" / "devices" / "beta.yaml"
    beta.write_text(beta.read_text().replace("    contradicts: alpha-not-europe\n", "    supersedes: alpha-not-europe\n"))
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(
        europe.read_text()
        .replace("claims: [alpha-not-europe]", "claims: [alpha-not-europe]")
        .replace("reasoning: A spokesperson said no.", "reasoning: Said no, then expected.")
    )
    plan = plan_for(mini_project)
    assert plan.claims["alpha-not-europe"].superseded_by == "beta-expected"


def test_disagreeing_claims_are_paired_on_both_pages(mini_project: Path) -> None:
    plan = plan_for(mini_project)
    pages = {p.url: p for p in plan.pages}
    for url in ("devices/alpha/", "devices/beta/", ""):
        pairs = pages[url].context["disagreements"]
        assert [(a.id, b.id) for a, b in pairs] == [("alpha-not-europe", "beta-expected")]


def test_every_device_source_and_page_gets_a_url(mini_project: Path) -> None:
    urls = sorted(p.url for p in plan_for(mini_project).pages)
    for url in ("", "devices/alpha/", "devices/beta/", "history/", "europe/", "sources/", "sources/alpha-news/", "about/", "404.html"):
        assert url in urls


def test_a_passage_across_a_paragraph_break_is_marked_in_each_paragraph_anchored_once() -> None:
    text = "One two.\n\nThree four."
    paragraphs = split_paragraphs(text, [Passage("p-x", 4, 15, ("c",))])
    marked = [(piece.text, piece.first) for para in paragraphs for piece in para if piece.passage]
    assert marked == [("two.", True), ("Three", False)]
