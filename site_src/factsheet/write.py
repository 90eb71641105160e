"""Stage 6, write: the only code that touches the output folder; all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


# Folders of the project a build must never replace, even when told to write there.
PROJECT_FOLDERS = ("content", "seeds", "templates", "site_src", "tests", ".git")


class WriteError(OSError):
    """The site could not be written into its folder; the last good site is left as it was."""


def check_out(out: Path, project: Path) -> None:
    """Raise WriteError if building into `out` would replace the project or a folder that is not a site."""
    out, project = out.resolve(), project.resolve()
    if project.is_relative_to(out) or any(out.is_relative_to(project / name) for name in PROJECT_FOLDERS):
        raise WriteError(f"refusing to write the site into {out}: it would replace the project's own files; choose a folder such as {project / '_site'}")
    if out.exists() and not out.is_dir():
        raise WriteError(f"refusing to replace {out}: it is a file, not a folder; choose a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise WriteError(f"refusing to replace {out}: it holds files but no index.html, so it is no site built here; choose a new or empty folder")


def write_site(files: Mapping[str, bytes] | Iterable[tuple[str, bytes]], out: Path,
               finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` into a fresh folder beside `out`, run `finish` on it, then swap it in.

    `files` may be a stream of (path, bytes) pairs: each is written as it comes (less memory).

    A build that fails or is killed before the swap leaves the previous site untouched.
    `finish` (the search indexer) sees the complete staging folder, never a half-written one.
    """
    out = out.resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as error:
        raise _write_error(out, error) from None
    try:
        folders = {staging}
        for relative, data in sorted(files.items()) if isinstance(files, Mapping) else files:
            target = staging / relative
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(data)
        if finish:
            finish(staging)
        os.chmod(staging, 0o755)
        swap_in(staging, out)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise _write_error(out, error) from None
        raise


def _write_error(out: Path, error: OSError) -> WriteError:
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(out) else ""
    return WriteError(f"cannot write the site into {out}: {error.strerror or error}{where}; the last good site is left as it was")


def swap_in(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        if old.is_dir() and not out.exists():
            os.rename(old, out)  # put the last good site back at once
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover(out: Path) -> None:
    """Put back the previous site if a build was killed between the two renames of a swap."""
    old = out.with_name(f".{out.name}.old")
    if old.is_dir() and not out.exists():
        os.rename(old, out)
    elif old.exists():  # killed after the swap, while deleting the old site: the new one is complete
        shutil.rmtree(old, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
