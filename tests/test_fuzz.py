"""Never a traceback: mutated content either builds or fails with located errors.

Hypothesis mutates the real content and the mini fixture (deletes keys, swaps types, puts
random Unicode, control characters and huge values into strings, truncates files, splices
YAML syntax and stray bytes into them) and runs the whole pipeline in-process. Each build
must either succeed or raise ContentError whose problems all name a file, and a line and
column inside it where the file exists; any other exception is a bug in the generator.

Budget: the `ci` profile (the default) runs 40 examples per test, a few seconds, so that
`make test` stays fast. The long hunt runs every week in .github/workflows/weekly.yml, or by hand:

    make fuzz        # HYPOTHESIS_PROFILE=long: 10,000 examples per test, about half an hour

A failure prints a blob to reproduce it with @reproduce_failure.
"""

from __future__ import annotations

import datetime
import functools
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI, REPO, copy_project
from factsheet import cli, render
from factsheet.pipeline import render_project
from factsheet.problems import ContentError

_common = dict(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("ci", max_examples=40, **_common)
settings.register_profile("long", max_examples=10_000, **_common)
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
PROFILE = settings.get_profile(PROFILE_NAME)
# Refusing a huge list takes seconds (up to 17 s for 50,000 items in a citation, on a loaded
# machine): the short run tries 5,000 items, the long one 50,000.
HUGE_LIST = 50_000 if PROFILE_NAME == "long" else 5_000

# Characters that mean something to YAML or Markdown, and some that are hard on parsers.
SYNTAX = list(":-[]{}&*!|>'\"%@`#,?\t\n \\<") + ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\ufeff", "\U0001f600"]
UNICODE = st.characters(exclude_categories=("Cs",))  # anything a UTF-8 file can hold
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(UNICODE, max_size=40),
    st.dates(min_value=datetime.date(1, 1, 1)),
    st.sampled_from([25_000, 100_000]).map(lambda n: "x" * n),
    st.just(""),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(UNICODE, max_size=10), inner, max_size=3)),
    max_leaves=6,
)


def paths(data, path=()) -> list[tuple]:
    """Return the path of every value inside `data`, `data` itself first."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, path + (index,))
    return found


def replace_at(data, path: tuple, value, delete: bool = False):
    """Return `data` with the value at `path` replaced by `value` (or deleted)."""
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@st.composite
def mutate(draw, text: str, is_yaml: bool) -> bytes:
    """Return `text` with one to three mutations applied, as the bytes of the file."""
    for _ in range(draw(st.integers(1, 3))):
        data = None
        if is_yaml:
            try:
                data = yaml.load(text, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                pass
        kind = draw(
            st.sampled_from(
                ["delete", "swap", "insert", "huge", "truncate", "splice", "line", "bytes"]
                if isinstance(data, (dict, list))
                else ["truncate", "splice", "line", "bytes", "insert-raw"]
            )
        )
        if kind in ("delete", "swap", "insert", "huge"):
            places = paths(data)
            path = draw(st.sampled_from(places[1:] if kind == "delete" and len(places) > 1 else places))
            if kind == "delete" and path:
                data = replace_at(data, path, None, delete=True)
            elif kind == "insert":
                current = functools.reduce(lambda d, k: d[k], path, data)
                current = current if isinstance(current, str) else str(current)
                at = draw(st.integers(0, len(current)))
                data = replace_at(data, path, current[:at] + draw(st.text(UNICODE, min_size=1, max_size=20)) + current[at:])
            elif kind == "huge":
                data = replace_at(data, path, draw(st.sampled_from(["y" * 25_000, "z " * 400_000, list(range(HUGE_LIST))])))
            else:
                data = replace_at(data, path, draw(VALUES))
            text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=200)
        elif kind == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif kind in ("splice", "insert-raw"):
            at = draw(st.integers(0, len(text)))
            piece = draw(st.text(st.one_of(st.sampled_from(SYNTAX), UNICODE), min_size=1, max_size=8))
            text = text[:at] + piece + text[at:]
        elif kind == "line":
            lines = text.split("\n")
            index = draw(st.integers(0, max(len(lines) - 1, 0)))
            action = draw(st.sampled_from(["drop", "repeat", "indent", "dedent"]))
            line = lines[index] if lines else ""
            lines[index : index + 1] = {"drop": [], "repeat": [line, line], "indent": ["  " + line], "dedent": [line.lstrip()]}[action]
            text = "\n".join(lines)
        else:  # bytes that are not UTF-8, or a file that is not text at all
            raw = text.encode("utf-8")
            at = draw(st.integers(0, len(raw)))
            return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return text.encode("utf-8")


@pytest.fixture(scope="module", autouse=True)
def compiled_templates():
    """Compile the templates once for all examples: the same Environment a build makes, kept."""
    patch = pytest.MonkeyPatch()
    patch.setattr(render, "make_environment", functools.lru_cache(maxsize=None)(render.make_environment))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    return {"mini": copy_project(MINI, root / "mini"), "real": copy_project(REPO, root / "real")}


def files_of(project: Path) -> list[str]:
    return sorted(
        p.relative_to(project).as_posix() for folder in ("content", "seeds") for p in (project / folder).rglob("*") if p.is_file()
    )


def assert_located(project: Path, error: ContentError) -> None:
    """Every problem names a file; one inside an existing file has a line and column within it."""
    assert error.problems, "ContentError without problems"
    for problem in error.problems:
        assert problem.file and problem.message and problem.severity in ("error", "warning"), problem
        assert not problem.file.startswith("templates/"), f"content made a template fail: {problem}"
        file = project / problem.file
        if problem.severity == "error" and file.is_file() and problem.file.endswith((".yaml", ".md")):
            lines = file.read_bytes().count(b"\n") + 1
            assert 1 <= problem.line <= lines and problem.column >= 1, f"{problem} (the file has {lines} lines)"


def build_or_locate(project: Path) -> None:
    try:
        files, _, _ = render_project(project)
    except ContentError as error:
        assert_located(project, error)
    else:
        assert files and all(isinstance(data, bytes) for data in files.values())


@PROFILE
@given(data=st.data())
def test_mutated_content_builds_or_fails_with_located_errors(projects: dict[str, Path], data: st.DataObject) -> None:
    project = projects[data.draw(st.sampled_from(sorted(projects)), label="project")]
    originals = {}
    try:
        for relative in data.draw(st.lists(st.sampled_from(files_of(project)), min_size=1, max_size=2, unique=True), label="files"):
            file = project / relative
            originals[file] = file.read_bytes()
            text = originals[file].decode("utf-8")
            file.write_bytes(data.draw(mutate(text, relative.endswith(".yaml")), label=relative))
        build_or_locate(project)
    finally:
        for file, original in originals.items():
            file.write_bytes(original)


@PROFILE
@given(
    body=st.lists(
        st.one_of(
            st.sampled_from(SYNTAX + ["](", "![", "<", ">", "*", "_", "\n\n", "javascript:", "data:", "[x]: ", "---"]),
            st.text(UNICODE, max_size=6),
        ),
        max_size=60,
    ).map("".join),
    front=st.dictionaries(st.sampled_from(["title", "description", "extra"]), VALUES, max_size=3),
)
def test_any_page_builds_or_fails_with_located_errors(projects: dict[str, Path], body: str, front: dict) -> None:
    page = projects["mini"] / "content/pages/about.md"
    original = page.read_bytes()
    try:
        page.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body, encoding="utf-8")
        build_or_locate(projects["mini"])
    finally:
        page.write_bytes(original)


# A few broken inputs through the command line (build.py's `main`, in this process: a traceback
# would fail the test as surely as it shows in a child's output): exit status 1, located messages, no traceback.
BROKEN = {
    "truncated mid-value": ("content/devices/alpha.yaml", lambda t: t[: t.index("leica:") + 9]),
    "a control character": ("content/devices/alpha.yaml", lambda t: t.replace("Alpha Phone", "Alpha\x01Phone", 1)),
    "a list where text goes": ("content/devices/alpha.yaml", lambda t: t.replace("maker: Alpha", "maker: [1, {a: b}]")),
    "not UTF-8": ("content/history.yaml", lambda t: t.replace("Berlin", "Berl\udcffin")),
    "a tab for indentation": ("content/europe.yaml", lambda t: t.replace("    reasoning", "\treasoning", 1)),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_build_command_reports_broken_content_without_a_traceback(mini_project: Path, case: str, capsys) -> None:
    relative, breaking = BROKEN[case]
    file = mini_project / relative
    file.write_bytes(breaking(file.read_text()).encode("utf-8", "surrogateescape"))
    out = mini_project.parent / "out"
    status = cli.main(["build", "--out", str(out)], project=mini_project)
    stderr = capsys.readouterr().err
    assert status == 1 and "Traceback" not in stderr, stderr
    located = [line for line in stderr.splitlines() if line.startswith(relative + ":")]
    assert located and all(line.split(":")[1].isdigit() for line in located), stderr
    assert stderr.splitlines()[-1].endswith("nothing written")
    assert not out.exists()
