"""Incremental rebuilds (for serve) give the same bytes as a full build and rewrite only what changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import same_place
from factsheet.incremental import rebuild
from factsheet.pipeline import render_project
from factsheet.problems import ContentError
from factsheet.write import whole


def _whole(files: dict) -> dict[str, bytes]:
    """Return a rebuild's files with facts.json's pieces joined, as a full build has it."""
    return {name: whole(data) for name, data in files.items()}


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
    assert _whole(first.files) == render_project(mini_project)[0]
    path = mini_project / "content" / file
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    second = rebuild(mini_project, first, [path])
    assert _whole(second.files) == render_project(mini_project)[0]
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
    assert _whole(second.files) == render_project(mini_project)[0]


def test_a_rebuild_told_every_change_walks_the_folders_again_when_one_is_no_known_file(mini_project: Path):
    """A file deleted, a file added, a folder named, or a file that became a link: the walk is done
    again, so the rebuild equals a full build whatever the watcher reports."""
    devices = mini_project / "content" / "devices"
    build = rebuild(mini_project, None)
    beta = devices / "beta.yaml"
    kept = beta.read_text("utf-8")
    beta.unlink()  # alpha and Europe name beta: a full build fails
    with pytest.raises(ContentError) as raised:
        rebuild(mini_project, build, [beta], complete=True)
    assert [str(p) for p in raised.value.problems] == _full(mini_project)[1]
    beta.write_text(kept, "utf-8")
    (devices / "stray.yml").write_text("name: x\n", "utf-8")  # a file the generator does not read: an error
    with pytest.raises(ContentError) as raised:
        rebuild(mini_project, build, [beta, devices / "stray.yml"], complete=True)
    assert [str(p) for p in raised.value.problems] == _full(mini_project)[1]
    (devices / "stray.yml").unlink()
    build = rebuild(mini_project, build, [devices], complete=True)
    assert _whole(build.files) == render_project(mini_project)[0]
    alpha = devices / "alpha.yaml"
    (mini_project / "alpha.yaml").write_text(alpha.read_text("utf-8").replace("name: Alpha Phone", "name: Linked Phone"), "utf-8")
    alpha.unlink()
    alpha.symlink_to(mini_project / "alpha.yaml")  # a link to a file outside content/: an error
    with pytest.raises(ContentError) as raised:
        rebuild(mini_project, build, [alpha], complete=True)
    assert [str(p) for p in raised.value.problems] == _full(mini_project)[1]


def test_a_rebuild_told_every_change_reads_only_the_changed_files(mini_project: Path, monkeypatch: pytest.MonkeyPatch):
    import factsheet.load as load

    build = rebuild(mini_project, None)
    alpha = mini_project / "content" / "devices" / "alpha.yaml"
    alpha.write_text(alpha.read_text("utf-8").replace("presented in *Berlin*.", "presented in *Munich*."), "utf-8")
    read: list[str] = []
    monkeypatch.setattr(load, "_load_file", lambda path, shown, kind, real=load._load_file: read.append(shown) or real(path, shown, kind))
    monkeypatch.setattr(load, "_walk", lambda *args: pytest.fail("walked the folders"))
    build = rebuild(mini_project, build, [alpha], complete=True)
    monkeypatch.undo()
    assert read == ["content/devices/alpha.yaml"]
    assert _whole(build.files) == render_project(mini_project)[0]


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
    assert _whole(build.files) == render_project(real_project)[0]
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
        assert _whole(build.files) == render_project(real_project)[0], path.name
    assert edited >= 3


BETA_IN_EUROPE = (
    "  - device: beta\n    reasoning: A rumour says a successor comes.\n"
    "    reasoning_de: Einem Gerücht zufolge kommt ein Nachfolger.\n    claims: [beta-expected]\n"
)

# Edits that change what other files read: a contradiction, a supersedes, a date that moves a device
# in the line-up, a claim that comes, a source's title, a missing German text, an id used twice (an
# error, then undone), a successor not named back, a file that fails and comes back, a refused link,
# an archived text that no longer matches its pin, a Europe answer that goes and comes back, a new
# device with its Europe answer. Applied one after another: told every change, each stage starts from
# the files that changed (load, validate, verify, plan).
SEQUENCE = [
    ("devices/beta.yaml", "    contradicts: alpha-not-europe\n", ""),
    ("devices/beta.yaml", "    europe: expected\n", "    europe: expected\n    contradicts: alpha-not-europe\n"),
    ("devices/alpha.yaml", 'announced: "2022-07"', 'announced: "2021-01"'),
    ("devices/beta.yaml", "standing: rumour", "standing: official"),
    (
        "devices/alpha.yaml",
        "facts:\n",
        "facts:\n  - id: alpha-again\n    text: Presented again.\n    text_de: Nochmals vorgestellt.\n"
        '    date: "2023-01"\n    standing: opinion\n    supersedes: alpha-presented\n    citations:\n'
        '      - source: alpha-news\n        quote: "It will not come to Europe, a spokesperson said."\n'
        '        translation: "Our rendering: It will not come to Europe, a spokesperson said."\n',
    ),
    ("europe.yaml", "claims: [alpha-not-europe]", "claims: [alpha-not-europe, alpha-again]"),
    ("sources/alpha-news.yaml", "title: Alpha Phone launches", "title: Alpha Phone arrives"),
    ("devices/beta.yaml", "    text_de: Ein Nachfolger wird im nächsten Jahr erwartet.\n", ""),
    ("devices/beta.yaml", "  - id: beta-expected\n", "  - id: alpha-presented\n"),  # an id used twice: an error
    ("devices/beta.yaml", "  - id: alpha-presented\n", "  - id: beta-expected\n"),
    # alpha names beta as its successor: beta not naming it back is a problem of alpha's file
    ("devices/beta.yaml", "predecessor: alpha\n", ""),
    ("devices/beta.yaml", "leica: expected\n", "predecessor: alpha\nleica: expected\n"),
    # a file that fails (validate's model goes), then comes back
    ("devices/beta.yaml", "leica: expected", "leica: maybe"),
    ("devices/beta.yaml", "leica: maybe", "leica: expected"),
    # a refused link in a fact's text, then taken out
    ("devices/alpha.yaml", "text: Presented again.", "text: Presented [again](javascript:alert(1))."),
    ("devices/alpha.yaml", "text: Presented [again](javascript:alert(1)).", "text: Presented again."),
    # a device's Europe answer goes (its page loses the verdict), then comes back
    # an archived text that no longer matches its pin (an error), then put back
    ("../seeds/alpha.txt", "this week.", "this week!"),
    ("../seeds/alpha.txt", "this week!", "this week."),
    ("europe.yaml", BETA_IN_EUROPE, ""),
    ("europe.yaml", "alpha-again]\n", "alpha-again]\n" + BETA_IN_EUROPE),
    ("devices/alpha.yaml", "    supersedes: alpha-presented\n", ""),
]


_FULL_BUILDS: dict[str, tuple[dict[str, bytes] | None, list[str]]] = {}


def _full(project: Path) -> tuple[dict[str, bytes] | None, list[str]]:
    """Return a full build's files and its warnings, or None and its problems.

    Kept by what the project's files hold: the tests told some and told all changed files make the
    same edits, so each full build is made once for both (rebuilding it took half their time)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in project.rglob("*") if p.is_file()):
        digest.update(b"%s\0%d\0" % (file.relative_to(project).as_posix().encode(), file.stat().st_size) + file.read_bytes())
    key = digest.hexdigest()
    if key not in _FULL_BUILDS:
        try:
            files, _, warnings = render_project(project)
            _FULL_BUILDS[key] = files, [str(p) for p in warnings]
        except ContentError as error:
            _FULL_BUILDS[key] = None, [str(p) for p in error.problems]
    return _FULL_BUILDS[key]


@pytest.mark.parametrize("complete", [False, True], ids=["told-some", "told-all"])
def test_a_sequence_of_edits_that_other_files_read_rebuilds_as_full_builds_do(mini_project: Path, complete: bool):
    """Told every changed file (as serve's watcher tells them), a rebuild looks at no other: the
    same files, warnings and errors either way; a new file is found by walking the folders again."""
    build = rebuild(mini_project, None)
    pending: list[Path] = []
    raised = 0
    for file, old, new in SEQUENCE:
        path = mini_project / "content" / file
        text = path.read_text("utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), "utf-8")
        files, said = _full(mini_project)
        try:
            build = rebuild(mini_project, build, [*pending, path], complete=complete)
        except ContentError as error:
            assert files is None, file
            assert [str(p) for p in error.problems] == said
            pending.append(path)
            raised += 1
            continue
        pending = []
        assert _whole(build.files) == files, (file, new)
        assert [str(p) for p in build.warnings] == said, (file, new)
    assert raised == 4  # the id used twice, the unknown value, the refused link, the pin
    gamma = mini_project / "content" / "devices" / "gamma.yaml"
    gamma.write_text(
        (mini_project / "content" / "devices" / "beta.yaml").read_text("utf-8").replace("beta-expected", "gamma-expected"), "utf-8"
    )
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(europe.read_text("utf-8") + "  - device: gamma\n    reasoning: As for beta.\n    claims: [gamma-expected]\n", "utf-8")
    build = rebuild(mini_project, build, [gamma, europe], complete=complete)
    files, said = _full(mini_project)
    assert _whole(build.files) == files
    assert [str(p) for p in build.warnings] == said


@pytest.mark.parametrize("complete", [False, True], ids=["told-some", "told-all"])
def test_random_edits_to_a_generated_site_rebuild_as_full_builds_do(tmp_path_factory: pytest.TempPathFactory, complete: bool):
    """The benchmark's generator makes a site whose devices contradict and supersede each other
    and share sources: random edits to facts' texts, dates and standings, each rebuild equal to a full build."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from generate import generate

    project = same_place(tmp_path_factory, "gen") / "gen"  # the templates compiled once for both
    generate(30, project)
    rng = random.Random(7)
    build = rebuild(project, None)
    devices = sorted((project / "content" / "devices").glob("*.yaml"))
    for _ in range(8):
        path = rng.choice(devices)
        lines = path.read_text("utf-8").split("\n")
        i = rng.choice([n for n, line in enumerate(lines) if line.strip().startswith(("text:", "date:", "standing:"))])
        key = lines[i].strip().split(":")[0]
        replacement = {"text": "text: Edited words.", "date": 'date: "2019-02"', "standing": "standing: official"}[key]
        lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + replacement
        path.write_text("\n".join(lines), "utf-8")
        build = rebuild(project, build, [path], complete=complete)
        files, said = _full(project)
        assert _whole(build.files) == files, path.name
        assert [str(p) for p in build.warnings] == said


def test_parts_of_the_home_and_europe_pages_kept_from_a_rebuild_still_make_them_depend_on_their_devices(mini_project: Path):
    # After the first rename, the home and Europe pages join alpha's parts as kept from the
    # rebuild before; renaming alpha next must still render them again, with its new name.
    build = rebuild(mini_project, None)
    for file, old, new in (
        ("beta.yaml", "name: Beta Phone", "name: Gamma Phone"),
        ("alpha.yaml", "name: Alpha Phone", "name: Omega Phone"),
    ):
        path = mini_project / "content" / "devices" / file
        text = path.read_text("utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), "utf-8")
        build = rebuild(mini_project, build, [path])
        assert _whole(build.files) == render_project(mini_project)[0]
        assert {"index.html", "europe/index.html"} <= set(build.changed)
        assert new.removeprefix("name: ").encode() in build.files["europe/index.html"]


def test_serve_answers_facts_json_joined_from_the_pieces_a_rebuild_keeps(mini_project: Path):
    from factsheet.serve import Preview

    preview = Preview(mini_project)
    preview.update()
    path = mini_project / "content" / "devices" / "alpha.yaml"
    path.write_text(path.read_text("utf-8").replace("presented in *Berlin*.", "presented in *Munich*."), "utf-8")
    preview.update([path])
    assert preview.served.files is not None and not isinstance(preview.served.files["facts.json"], bytes)  # kept in its pieces
    status, _, body = preview.respond("GET", "/facts.json", preview.served)
    assert status == "200 OK"
    assert body == render_project(mini_project)[0]["facts.json"]


def test_a_rebuild_writes_only_what_changed_and_facts_json_from_its_pieces(mini_project: Path, tmp_path: Path):
    from factsheet.write import update_site

    out = tmp_path / "site"
    build = rebuild(mini_project, None)
    update_site(out, build.changed, [])
    path = mini_project / "content" / "devices" / "alpha.yaml"
    path.write_text(path.read_text("utf-8").replace("presented in *Berlin*.", "presented in *Munich*."), "utf-8")
    before = {file: file.stat().st_mtime_ns for file in out.rglob("*") if file.is_file()}
    build = rebuild(mini_project, build, [path], complete=True)
    update_site(out, build.changed, build.removed)
    full = render_project(mini_project)[0]
    assert {file.relative_to(out).as_posix(): file.read_bytes() for file in out.rglob("*") if file.is_file()} == full
    rewritten = {file.relative_to(out).as_posix() for file in out.rglob("*") if file.is_file() and file.stat().st_mtime_ns != before[file]}
    assert rewritten == set(build.changed) and "facts.json" in rewritten
