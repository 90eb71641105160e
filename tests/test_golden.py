"""The build's output, byte for byte: the real site and a small benchmark corpus against a reference.

The reference is a manifest of SHA-256 digests per output file in tests/fixtures/golden/. A change
to the engine must leave it as it is; a deliberate change to content or templates refreshes it with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`, then read the diff of the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from conftest import REPO
from factsheet.cli import main

GOLDEN = REPO / "tests" / "fixtures" / "golden"
BASE_URL = "https://owner.example.org/repo/"
CORPUS_DEVICES = 50


def digests(out: Path) -> dict[str, str]:
    """Return every file under `out` by its relative path, with the SHA-256 of its bytes."""
    return {
        file.relative_to(out).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest() for file in sorted(out.rglob("*")) if file.is_file()
    }


def compare(name: str, found: dict[str, str]) -> None:
    reference = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        reference.parent.mkdir(parents=True, exist_ok=True)
        reference.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    expected = json.loads(reference.read_text())
    changed = sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k])
    assert (sorted(expected.keys() - found.keys()), sorted(found.keys() - expected.keys()), changed) == ([], [], [])


def build(project: Path, out: Path, *args: str) -> None:
    assert main(["build", "--out", str(out), "--no-search", "--no-cache", *args], project=project) == 0


@pytest.mark.parametrize("base_url", ["", BASE_URL])
def test_real_site_is_byte_identical_to_the_reference(tmp_path: Path, base_url: str) -> None:
    out = tmp_path / "_site"
    build(REPO, out, *(["--base-url", base_url] if base_url else []))
    compare("real-site" + ("-base-url" if base_url else ""), digests(out))


def test_benchmark_corpus_is_byte_identical_to_the_reference(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "bench"))
    project, out = tmp_path / "corpus", tmp_path / "_site"
    generate(CORPUS_DEVICES, project)
    build(project, out, "--base-url", BASE_URL)
    compare(f"corpus-{CORPUS_DEVICES}", digests(out))
