"""No escape from the tree: paths, links and names that reach outside content/ or seeds/, or collide, are refused.

And the build writes only under --out: it never touches the project, nor anything beside --out
but its own staging folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from factsheet.pipeline import build_project, check_project
from factsheet.problems import ContentError


def problems_of(project: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        check_project(project)
    return [str(p) for p in caught.value.problems]


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "file_value",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "../seeds/alpha.txt",
        "sub/alpha.txt",
        "..\\\\alpha.txt",
        "alpha.txt/../../x.txt",
        "~/alpha.txt",
    ],
)
def test_a_seed_file_outside_seeds_is_a_located_error(mini_project: Path, file_value: str) -> None:
    edit(mini_project / "content/sources/alpha-news.yaml", "file: alpha.txt", f'file: "{file_value}"')
    problems = problems_of(mini_project)
    assert any(re.match(r"content/sources/alpha-news\.yaml:4:7: error: .* is not a file name in seeds/", p) for p in problems), problems


@pytest.mark.parametrize(
    "where, old, new",
    [
        # ids become URLs and file names: only kebab-case words
        ("content/devices/alpha.yaml", "id: alpha-presented", "id: ../../etc/passwd"),
        ("content/devices/alpha.yaml", "successor: beta", "successor: ../beta"),
        ("content/devices/alpha.yaml", "- source: alpha-news", "- source: /etc/alpha-news"),
        ("content/europe.yaml", "device: alpha", "device: ../../alpha"),
        ("content/history.yaml", "devices: [alpha]", "devices: ['..%2Falpha']"),
    ],
)
def test_an_id_that_is_a_path_is_a_located_error(mini_project: Path, where: str, old: str, new: str) -> None:
    edit(mini_project / where, old, new)
    line = next(n for n, text in enumerate((mini_project / where).read_text().splitlines(), 1) if new.split(": ", 1)[1] in text)
    problems = problems_of(mini_project)
    assert any(p.startswith(f"{where}:{line}:") and "is not an id" in p for p in problems), problems


def test_a_content_file_linked_outside_content_is_refused(mini_project: Path) -> None:
    (mini_project / "content/devices/x.yaml").symlink_to("/etc/hostname")
    assert "content/devices/x.yaml:1:1: error: a link to a file outside content/; copy the file in instead" in problems_of(mini_project)


def test_a_folder_linked_outside_content_is_refused(mini_project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "gamma.yaml").write_text("name: Gamma\n")
    (mini_project / "content/devices/more").symlink_to(outside)
    assert "content/devices/more:1:1: error: a link to a file outside content/; copy the file in instead" in problems_of(mini_project)


def test_a_seed_linked_outside_seeds_is_refused(mini_project: Path) -> None:
    (mini_project / "seeds/passwd.txt").symlink_to("/etc/passwd")
    assert "seeds/passwd.txt:1:1: error: a link to a file outside seeds/; copy the file in instead" in problems_of(mini_project)


def test_a_link_inside_content_is_read(mini_project: Path) -> None:
    devices = mini_project / "content/devices"
    os.replace(devices / "beta.yaml", mini_project / "content/beta-original.yaml.txt")
    (devices / "beta.yaml").symlink_to("../beta-original.yaml.txt")
    # the link itself is fine; only the target's name is not a content file
    assert all("beta.yaml" not in p for p in problems_of(mini_project))


def test_a_pipe_in_content_is_refused_rather_than_read_forever(mini_project: Path) -> None:
    os.mkfifo(mini_project / "content/devices/gamma.yaml")
    assert "content/devices/gamma.yaml:1:1: error: not a regular file; content/ holds only text files" in problems_of(mini_project)


@pytest.mark.parametrize(
    "name, hint",
    [
        # the kebab-case name is taken: say so rather than suggest it
        ("Beta.yaml", " (beta.yaml, its kebab-case name, is taken)"),
        ("BETA.yaml", " (beta.yaml, its kebab-case name, is taken)"),
        ("bêta.yaml", " (beta.yaml, its kebab-case name, is taken)"),
        ("beta .yaml", " (beta.yaml, its kebab-case name, is taken)"),
        ("beta_2.yaml", " (rename it to 'beta-2.yaml')"),
    ],
)
def test_device_files_that_would_collide_as_urls_are_refused(mini_project: Path, name: str, hint: str) -> None:
    devices = mini_project / "content/devices"
    (devices / name).write_bytes((devices / "beta.yaml").read_bytes())
    stem = name[:-5]
    assert (
        f"content/devices/{name}:1:1: error: file name '{stem}' is not an id{hint}; use lower-case words joined by hyphens, like 'xiaomi-12s-ultra'"
        in problems_of(mini_project)
    )


@pytest.mark.parametrize("name", ["history", "europe", "sources", "search"])
def test_a_page_named_like_a_site_page_is_refused_not_overwriting_it(mini_project: Path, name: str) -> None:
    pages = mini_project / "content/pages"
    (pages / f"{name}.md").write_bytes((pages / "about.md").read_bytes())
    with pytest.raises(ContentError) as caught:
        build_project(mini_project, mini_project.parent / "out")
    assert [str(p) for p in caught.value.problems if p.severity == "error"] == [
        f"content/pages/{name}.md:2:1: error: the page name '{name}' is taken by the site's own /{name}/ page; rename the file"
    ]
    assert not (mini_project.parent / "out").exists()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Return every path under `folder` with its size and modification time."""
    return {p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def test_the_build_writes_only_under_out(mini_project: Path) -> None:
    root = mini_project.parent
    out = root / "deep" / "site"
    before = snapshot(root)
    build_project(mini_project, out)
    build_project(mini_project, out)  # a rebuild swaps the old site out: nothing may be left beside it
    after = snapshot(root)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert changed and all(p == "deep" or p.startswith("deep/site") for p in changed), sorted(changed)[:10]
    assert sorted(os.listdir(root / "deep")) == ["site"]


def test_check_also_refuses_a_page_named_like_a_site_page(mini_project: Path, capsys) -> None:
    from factsheet import cli

    pages = mini_project / "content/pages"
    (pages / "europe.md").write_bytes((pages / "about.md").read_bytes())
    assert cli.main(["check"], project=mini_project) == 1
    assert "content/pages/europe.md:2:1: error: the page name 'europe' is taken" in capsys.readouterr().err
