"""The faster ways through a build give the same site: without the search index, in parallel, incrementally."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from factsheet import cli, render
from factsheet.pipeline import check_project
from factsheet.plan import plan_site
from factsheet.problems import ContentError

REPO = Path(__file__).resolve().parents[1]


def site_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_without_search_writes_the_same_pages_and_no_index(mini_project: Path):
    assert cli.main(["build", "--out", str(mini_project / "with")], project=mini_project) == 0
    assert cli.main(["build", "--no-search", "--out", str(mini_project / "without")], project=mini_project) == 0
    with_index, without = site_files(mini_project / "with"), site_files(mini_project / "without")
    assert any(name.startswith("pagefind/") for name in with_index)
    assert not any(name.startswith("pagefind/") for name in without)
    assert without == {name: data for name, data in with_index.items() if not name.startswith("pagefind/")}


def test_parallel_render_gives_the_same_files_in_the_same_order(monkeypatch, tmp_path: Path):
    sys.path.insert(0, str(REPO / "bench"))
    from generate import generate

    project = tmp_path / "corpus"
    generate(30, project)
    checked = check_project(project)
    plan, site = plan_site(checked.verified), checked.verified.content.site
    monkeypatch.setattr(render, "PARALLEL_PAGES", 10)  # 30 devices make fewer pages than the real threshold
    serial = render.render_site(plan, site, project / "templates", "https://example.org/x/", workers=1)
    parallel = render.render_site(plan, site, project / "templates", "https://example.org/x/", workers=2)
    assert len(serial) > 40
    assert list(parallel.items()) == list(serial.items())


def test_parallel_render_reports_the_first_failing_page_as_serial_does(monkeypatch, mini_project: Path):
    checked = check_project(mini_project)
    plan, site = plan_site(checked.verified), checked.verified.content.site
    template = mini_project / "templates" / "device.html"
    template.write_text(template.read_text("utf-8").replace("{% block main %}", "{% block main %}{{ page.nothing_here }}", 1), "utf-8")
    monkeypatch.setattr(render, "PARALLEL_PAGES", 1)
    problems = []
    for workers in (1, 2):
        with pytest.raises(ContentError) as caught:
            render.render_site(plan, site, mini_project / "templates", workers=workers)
        problems.append(caught.value.problems)
    assert problems[0] == problems[1]
    assert problems[0][0].file == "templates/device.html" and "/devices/" in problems[0][0].message


def test_incremental_rebuild_reads_again_only_the_edited_file(mini_project: Path):
    from factsheet.incremental import rebuild

    first = rebuild(mini_project, None)
    before = {doc.path: doc for doc in (entry[1] for entry in first.cache.loaded.values()) if doc}
    device = mini_project / "content/devices/alpha.yaml"
    device.write_text(device.read_text("utf-8").replace("name: Alpha Phone", "name: Alpha Fone"), "utf-8")  # same size
    second = rebuild(mini_project, first, [device])
    after = {doc.path: doc for doc in (entry[1] for entry in second.cache.loaded.values()) if doc}
    assert after.keys() == before.keys()
    assert [path for path in after if after[path] is not before[path]] == ["content/devices/alpha.yaml"]
    assert b"Alpha Fone" in second.files["devices/alpha/index.html"]


def test_parallel_load_gives_the_same_documents_and_problems_in_the_same_order(monkeypatch, mini_project: Path):
    from factsheet import load

    (mini_project / "content/devices/broken.yaml").write_text("name: [unclosed\n", "utf-8")
    (mini_project / "content/devices/notes.txt").write_text("not content\n", "utf-8")
    (mini_project / "content/devices/dup.yaml").write_text("name: A\nname: B\n", "utf-8")

    def loaded(parallel: bool):
        monkeypatch.setattr(load, "PARALLEL_FILES", 0 if parallel else 10**9)
        raw = load.load_tree(mini_project)
        docs = [(d.path, d.kind, d.data, d.plain, d.position(("name",))) for d in raw.documents]
        return docs, raw.problems

    serial, parallel = loaded(False), loaded(True)
    assert len(serial[0]) > 3 and len(serial[1]) == 3
    assert parallel == serial


def test_the_build_says_how_many_pages_it_wrote(mini_project: Path, tmp_path: Path, capsys):
    assert cli.main(["build", "--out", str(tmp_path / "site"), "--no-search"], project=mini_project) == 0
    written = [p for p in (tmp_path / "site").rglob("*.html")]
    assert capsys.readouterr().out.startswith(f"built {len(written)} pages into ")
