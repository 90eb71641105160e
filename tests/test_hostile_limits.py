"""Bounded resources: bombs, huge files and deep nesting are refused at a located line, in bounded memory.

Each case runs `build.py build` in a process of its own, as a user would (see payloads.Builder), and reads the child's
own peak memory; the bound is generous on purpose (the build itself needs about 60 MB).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import MINI, copy_project
from factsheet.load import MAX_DEPTH, MAX_FILE_BYTES, parse_yaml
from payloads import Builder, standalone

PEAK_RSS_MB = 300
BIG = 50 * 1024 * 1024

BILLION_LAUGHS = "".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)]
)


def _deep_flow(n: int) -> str:
    return "name: x\nfacts: " + "[" * n + "]" * n + "\n"


def _deep_block(n: int) -> str:
    return "name: x\nfacts:\n  " + "- " * n + "x\n"


def _write_big(file: Path, size: int, line: bytes) -> None:
    """Write `size` bytes of `line` repeated, without holding them all in memory."""
    chunk = line * (1024 * 1024 // len(line))
    with file.open("wb") as handle:
        while size > 0:
            handle.write(chunk[:size])
            size -= len(chunk)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standalone(copy_project(MINI, tmp_path_factory.mktemp("limits") / "mini"))


@pytest.fixture(scope="module")
def builds(project: Path) -> Iterator[Builder]:
    builder = Builder(project)
    yield builder
    builder.close()


CASES = {
    # name: (file to replace, how to fill it, expected message at file:line:col)
    "alias bomb": (
        "content/devices/beta.yaml",
        lambda f: f.write_text(BILLION_LAUGHS),
        r"content/devices/beta\.yaml:\d+:\d+: error: too many values",
    ),
    "deep flow nesting": (
        "content/devices/beta.yaml",
        lambda f: f.write_text(_deep_flow(900_000)),
        rf"content/devices/beta\.yaml:2:\d+: error: nested more than {MAX_DEPTH} levels deep",
    ),
    "deep block nesting": (
        "content/devices/beta.yaml",
        lambda f: f.write_text(_deep_block(500_000)),
        rf"content/devices/beta\.yaml:3:\d+: error: nested more than {MAX_DEPTH} levels deep",
    ),
    "wide flat list": (
        "content/devices/beta.yaml",
        lambda f: f.write_text("markets: [" + "a," * 600_000 + "]\n"),
        r"content/devices/beta\.yaml:1:\d+: error: too many values",
    ),
    "huge single scalar": (
        "content/devices/beta.yaml",
        lambda f: f.write_text("name: '" + "x" * (MAX_FILE_BYTES - 100) + "'\n"),
        r"content/devices/beta\.yaml:1:7: error: 'name': string should have at most 20000 characters",
    ),
    "50 MB content file": (
        "content/devices/beta.yaml",
        lambda f: _write_big(f, BIG, b"name: beta\n"),
        r"content/devices/beta\.yaml:1:1: error: file is larger than 2 MB",
    ),
    "50 MB seed file": (
        "seeds/alpha.txt",
        lambda f: _write_big(f, BIG, b"The Alpha Phone was presented.\n"),
        r"seeds/alpha\.txt:1:1: error: file is larger than 2 MB",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_oversized_input_is_refused_at_its_place_in_bounded_memory(project: Path, builds: Builder, case: str) -> None:
    relative, fill, expected = CASES[case]
    target = project / relative
    original = target.read_bytes()
    out = project.parent / "out"
    try:
        fill(target)
        run = builds.run("build", "--out", str(out))
    finally:
        target.write_bytes(original)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert re.search(expected, run.stderr, re.IGNORECASE), run.stderr[-2000:]
    assert not out.exists(), "a refused build wrote a site"
    assert run.peak_rss_mb < PEAK_RSS_MB, f"peak memory {run.peak_rss_mb:.0f} MB"


@pytest.mark.parametrize(
    "text, refused",
    [
        # within the limit: read
        (_deep_flow(MAX_DEPTH - 5), False),
        (_deep_block(MAX_DEPTH - 5), False),
        # past it: refused before libyaml's recursive composer ever sees it
        (_deep_flow(MAX_DEPTH + 5), True),
        (_deep_block(MAX_DEPTH + 5), True),
        (_deep_flow(50_000), True),
        # an alias re-used deep down counts as deep as it is used
        ("a: &a " + "[" * 10 + "x" + "]" * 10 + "\nb: " + "[" * 35 + "*a" + "]" * 35 + "\n", True),
    ],
)
def test_nesting_limit_is_enforced_without_crashing(text: str, refused: bool) -> None:
    doc, problems = parse_yaml(text, "f.yaml", "device")
    if refused:
        assert doc is None
        assert [p.message for p in problems] == [f"nested more than {MAX_DEPTH} levels deep; flatten the data"]
        assert problems[0].line >= 1 and problems[0].column >= 1
    else:
        assert problems == [] and doc is not None


@pytest.mark.parametrize(
    "text, position",
    [
        ("name: a\x01b\n", (1, 8)),
        ("name: ok\nmaker: \x7f\n", (2, 8)),
        ("name: ok\nmaker: 'é\x1b'\n", (2, 10)),
    ],
)
def test_a_character_yaml_refuses_is_pointed_at(text: str, position: tuple[int, int]) -> None:
    _, problems = parse_yaml(text, "f.yaml", "device")
    assert [(p.line, p.column) for p in problems] == [position]
    assert "is not allowed in YAML" in problems[0].message
