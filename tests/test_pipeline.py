"""The chain: one function for check, build and serve; stages that return new values and leave their inputs alone."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from factsheet.load import Key, load_tree
from factsheet.pipeline import Cache, check_project
from factsheet.plan import plan_site
from factsheet.problems import ContentError
from factsheet.validate import validate_content
from factsheet.verify import verify_content


def test_no_stage_writes_into_an_earlier_stages_output(mini_project: Path) -> None:
    raw = load_tree(mini_project)
    loaded = [(doc.path, copy.deepcopy(doc.data), doc.digest) for doc in raw.documents]
    content, _ = validate_content(raw)
    models = dict(content.models)
    verified = verify_content(content)
    plan_site(verified)
    assert [(doc.path, doc.data, doc.digest) for doc in raw.documents] == loaded
    assert content.models == models
    assert all(doc.data is None for key, doc in content.documents.items() if key in content.models)


def test_claims_name_their_owner_by_a_typed_key(mini_project: Path) -> None:
    claims = check_project(mini_project).verified.content.claims
    owners = {located.owner for located in claims.values()}
    assert Key("history") in owners and Key("device", "alpha") in owners
    assert str(Key("device", "alpha")) == "device:alpha" and str(Key("history")) == "history"


def test_plan_returns_a_taken_page_url_as_a_problem_and_check_reports_it(mini_project: Path) -> None:
    (mini_project / "content/pages/history.md").write_bytes((mini_project / "content/pages/about.md").read_bytes())
    with pytest.raises(ContentError) as caught:
        check_project(mini_project)
    assert [str(p) for p in caught.value.problems if p.severity == "error"] == [
        "content/pages/history.md:2:1: error: the page name 'history' is taken by the site's own /history/ page; rename the file"
    ]


def test_a_cache_gives_what_a_run_without_it_gives_and_keeps_only_todays_entries(mini_project: Path) -> None:
    cache = Cache()
    first = check_project(mini_project, cache=cache)
    assert len(cache.validated) == len(first.verified.content.documents)
    alpha = mini_project / "content/devices/alpha.yaml"
    alpha.write_text(alpha.read_text("utf-8").replace("name: Alpha Phone", "name: Alpha Fone"), "utf-8")
    again = check_project(mini_project, cache=cache)
    fresh = check_project(mini_project)
    assert again.verified.content.devices == fresh.verified.content.devices
    assert again.warnings == fresh.warnings
    assert [p.output for p in again.plan.pages] == [p.output for p in fresh.plan.pages]
    assert len(cache.validated) == len(first.verified.content.documents)  # the old alpha's entry is gone
