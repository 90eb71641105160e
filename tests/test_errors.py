"""Every kind of content error is reported compiler-style, located, with a hint; nothing is written.

Each folder in tests/fixtures/invalid/ overlays the mini project with broken files; its
expected.txt holds the exact messages. Refresh after a deliberate wording change with
`UPDATE_GOLDEN=1 make test PYTEST_ARGS=tests/test_errors.py`, then read the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from factsheet.problems import Problem, compare_words, excerpt, format_problems, printable

INVALID = REPO / "tests" / "fixtures" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def overlay(project: Path, case: str) -> None:
    for file in (INVALID / case).rglob("*"):
        if file.is_file() and file.name != "expected.txt":
            target = project / file.relative_to(INVALID / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)


def run_build(project: Path, *args: str) -> subprocess.CompletedProcess:
    code = "import sys; from pathlib import Path; from factsheet.cli import main; sys.exit(main(sys.argv[1:], project=Path.cwd()))"
    env = {**os.environ, "PYTHONPATH": str(REPO / "site_src")}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", CASES)
def test_broken_content_reports_every_error_with_file_line_and_column(mini_project: Path, case: str) -> None:
    overlay(mini_project, case)
    result = run_build(mini_project, "build", "--out", str(mini_project / "_site"))
    expected_file = INVALID / case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(result.stderr)
    assert result.returncode == 1
    assert result.stderr == expected_file.read_text()
    assert "Traceback" not in result.stderr
    assert not (mini_project / "_site").exists()


def test_check_reports_the_same_errors_and_writes_nothing(mini_project: Path) -> None:
    overlay(mini_project, "unknown-key")
    result = run_build(mini_project, "check")
    assert result.returncode == 1
    assert result.stderr == (INVALID / "unknown-key" / "expected.txt").read_text()
    assert not (mini_project / "_site").exists()


def test_strict_turns_warnings_into_errors_and_counts_them(mini_project: Path) -> None:
    europe = mini_project / "content" / "europe.yaml"
    europe.write_text(europe.read_text().split("  - device: beta")[0])  # beta left without an answer
    relaxed = run_build(mini_project, "check")
    strict = run_build(mini_project, "check", "--strict")
    warning = (
        "content/europe.yaml:2:3: warning: device 'beta' has no Europe answer; add an entry for it\n"
        "  1 | devices:\n"
        "  2 |   - device: alpha\n"
        "    |   ^\n"
        "  3 |     reasoning: A spokesperson said no.\n"
    )
    assert relaxed.returncode == 0 and warning in relaxed.stderr
    assert strict.returncode == 1
    assert strict.stderr == warning + "0 errors, 1 warning (--strict counts the 1 warning as errors); nothing written\n"


def test_failed_build_leaves_the_last_good_site_in_place(mini_project: Path) -> None:
    out = mini_project / "_site"
    assert run_build(mini_project, "build", "--out", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    overlay(mini_project, "quote-not-found")
    assert run_build(mini_project, "build", "--out", str(out)).returncode == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


TEXT = "name: Alpha\nmaker: Xiaomi\nstatus: [announced\nleica: branded\n"


@pytest.mark.parametrize(
    "line, column, expected",
    [
        # the line, one above and one below, a caret under the column
        (3, 9, ["2 | maker: Xiaomi", "3 | status: [announced", "  |         ^", "4 | leica: branded"]),
        # the first line has nothing above it; the empty end of the file is no context
        (1, 1, ["1 | name: Alpha", "  | ^", "2 | maker: Xiaomi"]),
        (4, 7, ["3 | status: [announced", "4 | leica: branded", "  |       ^"]),
        # no line, or a line the text does not have: no excerpt
        (0, 0, []),
        (9, 1, []),
    ],
)
def test_excerpt_shows_the_line_with_its_neighbours_and_a_caret(line, column, expected) -> None:
    assert excerpt(Problem("f.yaml", line, column, "m"), TEXT) == expected


@pytest.mark.parametrize(
    "text, column, caret",
    [
        # the caret stays under the character when the line holds escaped or wide characters
        ("a:\tb: c", 5, "  |      ^"),
        ("名前: [x", 5, "  |       ^"),
    ],
)
def test_excerpt_caret_stays_under_the_column(text, column, caret) -> None:
    assert excerpt(Problem("f.yaml", 1, column, "m"), text)[1] == caret


@pytest.mark.parametrize(
    "raw, shown",
    [
        # a terminal obeys these; messages show them escaped (issue 12, item 8)
        ("\x1b[2J", "\\x1b[2J"),
        ("ring\a", "ring\\x07"),
        ("over\rwrite", "over\\rwrite"),
        ("tab\tnew\nline", "tab\\tnew\\nline"),
        ("\u202eevil", "\\u202eevil"),
        # printable text, in any script, is left alone
        ("Müller «12S» 小米", "Müller «12S» 小米"),
    ],
)
def test_control_characters_in_content_are_shown_escaped(raw, shown) -> None:
    assert printable(raw) == shown
    assert str(Problem(f"content/{raw}.yaml", 1, 1, f"'{raw}' is not an id")) == f"content/{shown}.yaml:1:1: error: '{shown}' is not an id"


def test_excerpt_of_a_line_with_control_characters_shows_them_escaped() -> None:
    assert excerpt(Problem("f.yaml", 1, 7, "m"), "name: \x1b]0;owned\x07\n") == ["1 | name: \\x1b]0;owned\\x07", "  |       ^"]


@pytest.mark.parametrize(
    "quote, passage, expected",
    [
        # a word changed: marked in both; the passage's words around the quote are context
        (
            "It will never come to Europe",
            "week. It will not come to Europe, a spokesperson said.",
            (
                "your quote: It will never come to Europe",
                " " * len("your quote: It will ") + "^^^^^",
                "the source: week. It will not come to Europe, a spokesperson said.",
                " " * len("the source: week. It will ") + "^^^",
            ),
        ),
        # a word left out of the quote, and one added to it
        (
            "Xiaomi and Leica partner",
            "Xiaomi and Leica now partner",
            (
                "your quote: Xiaomi and Leica partner",
                "",
                "the source: Xiaomi and Leica now partner",
                " " * len("the source: Xiaomi and Leica ") + "^^^",
            ),
        ),
        (
            "Xiaomi and also Leica",
            "Xiaomi and Leica",
            ("your quote: Xiaomi and also Leica", " " * len("your quote: Xiaomi and ") + "^^^^", "the source: Xiaomi and Leica", ""),
        ),
    ],
)
def test_a_quote_not_found_is_shown_beside_the_closest_passage_with_the_differing_words_marked(quote, passage, expected) -> None:
    assert tuple(line.rstrip() for line in compare_words(quote, passage)) == expected


@pytest.mark.parametrize("name", ["link.yaml", "notes.txt", "missing.yaml"])
def test_terminal_format_quotes_only_plain_content_files(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.yaml").write_text("password: hunter2\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    (tmp_path / "notes.txt").write_text("password: hunter2\n")
    problem = Problem(name, 1, 1, "a link to a file outside content/; copy the file in instead")
    assert format_problems([problem], tmp_path) == str(problem)


@pytest.mark.parametrize(
    "newer, older",
    [
        # the file saved last is blamed, whichever name sorts first
        ("alpha.yaml", "zeta.yaml"),
        ("zeta.yaml", "alpha.yaml"),
    ],
)
def test_duplicate_id_blames_the_newer_file_and_names_both_places(mini_project: Path, newer: str, older: str) -> None:
    devices = mini_project / "content" / "devices"
    (devices / "zeta.yaml").write_text(
        "name: Zeta\nmaker: Zeta\nstatus: announced\nleica: unknown\nfacts:\n"
        '  - id: alpha-presented\n    text: Zeta.\n    date: "2022"\n    standing: report\n'
        "    citations:\n      - source: alpha-news\n        quote: presented\n"
    )
    os.utime(devices / older, ns=(1_600_000_000 * 10**9,) * 2)
    os.utime(devices / newer, ns=(1_700_000_000 * 10**9,) * 2)
    line = {"alpha.yaml": 10, "zeta.yaml": 6}
    result = run_build(mini_project, "check")
    assert result.returncode == 1
    assert (
        f"content/devices/{newer}:{line[newer]}:9: error: duplicate id 'alpha-presented', also used at "
        f"content/devices/{older}:{line[older]}:9 (a file saved earlier); give this one another id"
    ) in result.stderr
    assert result.stderr.count("duplicate id") == 1


@pytest.mark.parametrize(
    "written, suggestion",
    [
        ("22.03.2022", "2022-03-22"),
        ("1.7.2022", "2022-07-01"),
        ("03/22/2022", "2022-03-22"),
        ("2022/07/05", "2022-07-05"),
        ("2022.07", "2022-07"),
    ],
)
def test_a_date_written_another_way_gets_a_did_you_mean(mini_project: Path, written: str, suggestion: str) -> None:
    device = mini_project / "content" / "devices" / "alpha.yaml"
    device.write_text(device.read_text().replace('announced: "2022-07"', f'announced: "{written}"'))
    result = run_build(mini_project, "check")
    assert f"content/devices/alpha.yaml:4:12: error: '{written}' is not a date" in result.stderr
    assert f"(did you mean '{suggestion}'?)" in result.stderr


@pytest.mark.parametrize("written", ["32.03.2022", "22.13.2022", "next week"])
def test_a_date_that_is_no_calendar_day_gets_no_did_you_mean(mini_project: Path, written: str) -> None:
    device = mini_project / "content" / "devices" / "alpha.yaml"
    device.write_text(device.read_text().replace('announced: "2022-07"', f'announced: "{written}"'))
    result = run_build(mini_project, "check")
    assert f"'{written}' is not a date" in result.stderr and "did you mean" not in result.stderr


@pytest.mark.parametrize(
    "name, folder, message",
    [
        # a source file in content/devices/ is named as a source; a file with a few stray keys is not
        (
            "delta.yaml",
            "devices",
            "this looks like a source (it has title, language, file), not a device; move the file to content/sources/",
        ),
    ],
)
def test_a_file_in_the_wrong_folder_is_named_in_one_message(mini_project: Path, name: str, folder: str, message: str) -> None:
    (mini_project / "content" / folder / name).write_text("title: Delta\nlanguage: en\nfile: alpha.txt\n")
    result = run_build(mini_project, "check")
    assert f"content/{folder}/{name}:1:1: error: {message}" in result.stderr
    assert result.stderr.count(f"content/{folder}/{name}:") == 1


def test_a_device_file_with_one_stray_key_gets_the_usual_unknown_key_message(mini_project: Path) -> None:
    device = mini_project / "content" / "devices" / "alpha.yaml"
    device.write_text(device.read_text().replace("maker: Alpha", "maker: Alpha\ntitle: Alpha"))
    result = run_build(mini_project, "check")
    assert "unknown key 'title'" in result.stderr and "looks like" not in result.stderr
