"""Incremental rebuilds (for serve) give the same bytes as a full build and rewrite only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from factsheet.incremental import rebuild
from factsheet.pipeline import render_project
from factsheet.problems import ContentError

EDITS = [
    # a fact's words: its device page, the source page that lists it, the export
    (
        "devices/alpha.yaml",
        "presented in *Berlin*.",
        "presented in *Munich*.",
        {"devices/alpha/index.html", "sources/alpha-news/index.html"},
    ),
    # a device's name: every page that names or links it
    (
        "devices/beta.yaml",
        "name: Beta Phone",
        "name: Gamma Phone",
        {"devices/beta/index.html", "devices/alpha/index.html", "index.html", "europe/index.html"},
    ),
    # a fact's standing: shown on its page and beside the disagreement it is part of
    ("devices/beta.yaml", "standing: rumour", "standing: report", {"devices/beta/index.html", "devices/alpha/index.html"}),
    # a source's title: its pages and every quote that names it
    (
        "sources/alpha-news.yaml",
        "title: Alpha Phone launches",
        "title: Alpha Phone arrives",
        {"sources/alpha-news/index.html", "sources/index.html", "devices/alpha/index.html"},
    ),
    # an event's title: the history and the home page's latest events
    ("history.yaml", "title: Alpha Phone presented", "title: Alpha Phone shown", {"history/index.html", "index.html"}),
    # a Europe reasoning: the Europe page only
    ("europe.yaml", "reasoning: A spokesperson said no.", "reasoning: A spokesperson said *no*.", {"europe/index.html"}),
]


@pytest.mark.parametrize("file, old, new, expected", EDITS)
def test_rebuild_after_an_edit_equals_a_full_build(mini_project: Path, file: str, old: str, new: str, expected: set):
    first = rebuild(mini_project, None)
    assert first.files == render_project(mini_project)[0]
    path = mini_project / "content" / file
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    second = rebuild(mini_project, first, [path])
    assert second.files == render_project(mini_project)[0]
    assert expected <= set(second.changed)
    assert "about/index.html" not in second.changed  # a page the edit does not touch is not rewritten
    assert all(first.files.get(k) != v for k, v in second.changed.items())


def test_rebuild_reports_a_removed_device_page(mini_project: Path):
    first = rebuild(mini_project, None)
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(
        europe.read_text("utf-8").replace(
            "  - device: beta\n    reasoning: A rumour says a successor comes.\n"
            "    reasoning_de: Einem Gerücht zufolge kommt ein Nachfolger.\n    claims: [beta-expected]\n",
            "",
        ),
        "utf-8",
    )
    (mini_project / "content" / "devices" / "beta.yaml").unlink()
    alpha = mini_project / "content" / "devices" / "alpha.yaml"
    alpha.write_text(alpha.read_text("utf-8").replace("successor: beta\n", ""), "utf-8")
    second = rebuild(mini_project, first, [alpha, europe])
    assert "devices/beta/index.html" in second.removed
    assert second.files == render_project(mini_project)[0]


def test_rebuild_raises_the_errors_of_a_full_build(mini_project: Path):
    first = rebuild(mini_project, None)
    alpha = mini_project / "content" / "devices" / "alpha.yaml"
    alpha.write_text(alpha.read_text("utf-8").replace("source: alpha-news", "source: alpha-nwes", 1), "utf-8")
    with pytest.raises(ContentError) as raised:
        rebuild(mini_project, first, [alpha])
    with pytest.raises(ContentError) as full:
        render_project(mini_project)
    assert [str(p) for p in raised.value.problems] == [str(p) for p in full.value.problems]


def test_an_edit_to_a_fact_re_renders_only_the_pages_that_show_it(mini_project: Path):
    first = rebuild(mini_project, None)
    alpha = mini_project / "content" / "devices" / "alpha.yaml"
    alpha.write_text(alpha.read_text("utf-8").replace("presented in *Berlin*.", "presented in *Munich*."), "utf-8")
    second = rebuild(mini_project, first, [alpha])
    # Home and Europe list the device but not this fact: reading its name is not reading its facts.
    pages = {page.output for page in second.plan.pages}
    # Both editions of them: the German page shows the English when the German is missing.
    shown = {"devices/alpha/index.html", "sources/alpha-news/index.html"}
    assert pages & set(second.rendered) == shown | {"de/" + page for page in shown}


def test_rebuilds_of_the_real_site_after_a_sequence_of_random_edits_equal_full_builds(real_project: Path):
    """Random edits (seeded) to the real content, one rebuild after each: every rebuild equals a full build."""
    import random

    rng = random.Random(14)
    build = rebuild(real_project, None)
    assert build.files == render_project(real_project)[0]
    files = sorted((real_project / "content").rglob("*.yaml"))
    edited = 0
    pending: list[Path] = []  # files restored after an edit that broke the content: changed since the last good build
    for _ in range(12):
        path = rng.choice(files)
        lines = path.read_text("utf-8").split("\n")
        # a word changed in a line of prose (a title, a name, a fact's text), never in a quote or a key
        candidates = [
            i
            for i, line in enumerate(lines)
            if line.startswith("      ") and " " in line.strip() and ":" not in line and '"' not in line and "'" not in line
        ]
        if not candidates:
            continue
        i = rng.choice(candidates)
        before = path.read_text("utf-8")
        lines[i] = lines[i] + " (edited)"
        path.write_text("\n".join(lines), "utf-8")
        try:
            build = rebuild(real_project, build, [*pending, path])
        except ContentError:  # an edit inside a quote: the full build raises the same (tested above); undo it
            path.write_text(before, "utf-8")
            pending.append(path)
            continue
        pending = []
        edited += 1
        assert build.files == render_project(real_project)[0], path.name
    assert edited >= 3
