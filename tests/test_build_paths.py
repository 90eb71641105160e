"""The faster ways through a build give the same site: without the search index, in parallel, incrementally."""

from __future__ import annotations

from pathlib import Path

from factsheet import cli


def site_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_without_search_writes_the_same_pages_and_no_index(mini_project: Path):
    assert cli.main(["build", "--out", str(mini_project / "with")], project=mini_project) == 0
    assert cli.main(["build", "--no-search", "--out", str(mini_project / "without")], project=mini_project) == 0
    with_index, without = site_files(mini_project / "with"), site_files(mini_project / "without")
    assert any(name.startswith("pagefind/") for name in with_index)
    assert not any(name.startswith("pagefind/") for name in without)
    assert without == {name: data for name, data in with_index.items() if not name.startswith("pagefind/")}
