"""The benchmark's synthetic corpus is valid content: it builds, deterministically, with every page kind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from factsheet.pipeline import render_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("bench") / "corpus"
    generate(30, project)
    return project


def test_generated_corpus_builds_without_problems(corpus: Path):
    files, plan, warnings = render_project(corpus)
    assert warnings == []
    assert {
        "devices/phone-00000/index.html",
        "devices/phone-00029/index.html",
        "sources/quelle-00002/index.html",
        "history/index.html",
        "europe/index.html",
    } <= set(files)
    assert len(plan.claims) == 30 * 10 + 1  # ten facts per device, one history event at N=30


def test_generated_quotes_are_highlighted_in_their_sources(corpus: Path):
    files, plan, _ = render_project(corpus)
    page = files["sources/quelle-00001/index.html"].decode()
    assert page.count("<mark") >= len(plan.passages["quelle-00001"]) > 5


@pytest.mark.parametrize("n", [1, 12])
def test_generator_is_deterministic(tmp_path: Path, n: int):
    generate(n, tmp_path / "a")
    generate(n, tmp_path / "b")
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in sorted((tmp_path / "a").rglob("*")) if p.is_file()}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in sorted((tmp_path / "b").rglob("*")) if p.is_file()}
    assert files_a == files_b
    assert len([p for p in files_a if p.parts[:2] == ("content", "devices")]) == n


def test_hugo_twin_has_a_page_per_device_and_source(corpus: Path):
    pages = corpus / "hugo" / "content"
    assert len(list((pages / "devices").glob("phone-*.md"))) == 30
    assert len(list((pages / "sources").glob("quelle-*.md"))) == 3
    assert (corpus / "hugo" / "layouts" / "devices" / "page.html").is_file()
