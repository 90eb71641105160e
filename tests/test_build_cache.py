"""The build cache on disk: an unchanged project's output reused byte for byte; a corrupt, stale or foreign cache ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factsheet.build_cache import FOLDER
from factsheet.cli import main
from test_golden import digests


def build(project: Path, out: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[bool, dict[str, str]]:
    """Build `project` into `out`; return whether the cache was reused, and the output's digests."""
    assert main(["build", "--out", str(out), "--no-search", *args], project=project) == 0
    said = capsys.readouterr()
    return "reused" in said.out, digests(out)


@pytest.fixture
def cached(mini_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> tuple[Path, dict[str, str]]:
    """The mini project built once with the cache on; the output of a build without it."""
    reused, _ = build(mini_project, tmp_path / "first", capsys)
    assert not reused and (mini_project / FOLDER / "site.json").is_file()
    _, fresh = build(mini_project, tmp_path / "fresh", capsys, "--no-cache")
    return mini_project, fresh


def test_an_unchanged_project_reuses_the_last_output_byte_for_byte(cached, tmp_path: Path, capsys) -> None:
    project, fresh = cached
    assert build(project, tmp_path / "again", capsys) == (True, fresh)


def test_the_cache_replays_the_warnings_of_the_build_it_keeps(mini_project: Path, tmp_path: Path, capsys) -> None:
    (mini_project / "seeds" / "stray.txt").write_text("An archived text no source describes.\n")
    assert main(["build", "--out", str(tmp_path / "a"), "--no-search"], project=mini_project) == 0
    first = capsys.readouterr()
    assert main(["build", "--out", str(tmp_path / "b"), "--no-search"], project=mini_project) == 0
    second = capsys.readouterr()
    assert "reused" in second.out and "1 warning" in second.out
    assert second.err == first.err and "seeds/stray.txt" in first.err


@pytest.mark.parametrize(
    "edit",
    [
        # a content file, a template, a new seed: each is an input
        lambda p: (p / "content/devices/alpha.yaml").write_text(
            (p / "content/devices/alpha.yaml").read_text().replace("Alpha Phone", "Alpha Fone")
        ),
        lambda p: (p / "templates/base.html").write_text((p / "templates/base.html").read_text() + "\n"),
        lambda p: (p / "seeds/extra.txt").write_text("An archived text no source describes.\n"),
    ],
)
def test_a_changed_input_is_built_again(cached, tmp_path: Path, capsys, edit) -> None:
    project, _ = cached
    edit(project)
    reused, found = build(project, tmp_path / "again", capsys)
    assert not reused
    assert build(project, tmp_path / "fresh", capsys, "--no-cache") == (False, found)


def test_options_are_part_of_the_key(cached, tmp_path: Path, capsys) -> None:
    project, _ = cached
    reused, _ = build(project, tmp_path / "again", capsys, "--base-url", "https://example.org/x/")
    assert not reused


def corrupt_body(folder: Path) -> None:
    body = bytearray((folder / "site.bin").read_bytes())
    body[len(body) // 2] ^= 0x01
    (folder / "site.bin").write_bytes(bytes(body))


def edit_header(change):
    def run(folder: Path) -> None:
        header = json.loads((folder / "site.json").read_text())
        change(header)
        (folder / "site.json").write_text(json.dumps(header))

    return run


@pytest.mark.parametrize(
    "damage",
    [
        # a byte flipped, a body cut short, a body grown
        corrupt_body,
        lambda f: (f / "site.bin").write_bytes((f / "site.bin").read_bytes()[:-10]),
        lambda f: (f / "site.bin").write_bytes((f / "site.bin").read_bytes() + b"x"),
        # a header that is no JSON, not a mapping, of another format, of other inputs (stale or foreign)
        lambda f: (f / "site.json").write_bytes(b"\x00{not json"),
        lambda f: (f / "site.json").write_text("[1, 2]"),
        edit_header(lambda h: h.update(format=h["format"] + 1)),
        edit_header(lambda h: h.update(key="0" * 64)),
        # a file name that would leave the site folder, or a hidden one; a wrong type
        edit_header(lambda h: h["files"][0].__setitem__(0, "../escaped.html")),
        edit_header(lambda h: h["files"][0].__setitem__(0, "/etc/escaped.html")),
        edit_header(lambda h: h["files"][0].__setitem__(0, ".factsheet-site")),
        edit_header(lambda h: h["files"][0].__setitem__(1, "12")),
        edit_header(lambda h: h.update(warnings=[["x", 1, 1, "an error", "error", []]])),
        # a missing body
        lambda f: (f / "site.bin").unlink(),
    ],
)
def test_a_corrupt_stale_or_foreign_cache_is_ignored_and_replaced(cached, tmp_path: Path, capsys, damage) -> None:
    project, fresh = cached
    damage(project / FOLDER)
    assert build(project, tmp_path / "again", capsys) == (False, fresh)
    assert not (tmp_path / "escaped.html").exists()
    assert build(project, tmp_path / "third", capsys) == (True, fresh)  # the build put a sound cache back


def test_no_cache_neither_reads_nor_writes_it(mini_project: Path, tmp_path: Path, capsys) -> None:
    assert build(mini_project, tmp_path / "a", capsys, "--no-cache")[0] is False
    assert not (mini_project / FOLDER).exists()


def test_a_failed_build_keeps_no_cache(mini_project: Path, tmp_path: Path, capsys) -> None:
    alpha = mini_project / "content/devices/alpha.yaml"
    alpha.write_text(alpha.read_text().replace("source: alpha-news", "source: alpha-nwes", 1))
    assert main(["build", "--out", str(tmp_path / "a"), "--no-search"], project=mini_project) == 1
    assert not (mini_project / FOLDER / "site.json").exists()
    assert not (mini_project / FOLDER / "site.bin.new").exists()


def test_the_search_index_is_kept_and_reused_with_the_pages(mini_project: Path, tmp_path: Path, capsys) -> None:
    def built(out: Path, *args: str) -> tuple[bool, dict[str, str]]:
        assert main(["build", "--out", str(out), *args], project=mini_project) == 0
        return "reused" in capsys.readouterr().out, digests(out)

    first = built(tmp_path / "a")
    again = built(tmp_path / "b")
    assert first[0] is False and again == (True, first[1])
    assert any(name.startswith("pagefind/") for name in again[1])
