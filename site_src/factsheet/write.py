"""Stage 6, write: the only code that touches the output folder; all or nothing."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path


# Folders of the project a build must never replace, even when told to write there.
PROJECT_FOLDERS = ("content", "seeds", "templates", "site_src", "tests", ".git")

# Written into every site built here: a folder without it is someone else's, never replaced.
MARKER = ".factsheet-site"
MARKER_TEXT = b"Built by build.py of the fact sheet: the next build replaces this whole folder.\n"


class WriteError(OSError):
    """The site could not be written into its folder; the last good site is left as it was."""


def check_out(out: Path, project: Path) -> None:
    """Raise WriteError if building into `out` would replace the project or a folder that is not a site."""
    out, project = out.resolve(), project.resolve()
    if project.is_relative_to(out) or any(out.is_relative_to(project / name) for name in PROJECT_FOLDERS):
        raise WriteError(f"refusing to write the site into {out}: it would replace the project's own files; choose a folder such as {project / '_site'}")
    if out.exists() and not out.is_dir():
        raise WriteError(f"refusing to replace {out}: it is a file, not a folder; choose a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise WriteError(f"refusing to replace {out}: it holds files but no {MARKER}, so it is no site built here "
                         f"(a site built before that file was written: delete it once); choose a new or empty folder")
    if os.path.ismount(out):
        raise WriteError(f"refusing to replace {out}: it is a mount point, which cannot be swapped for a new folder; "
                         f"build into a folder inside it, such as {out / '_site'}")


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the lock on building into `out` (a file beside it); raise WriteError at once if another build holds it.

    The kernel drops the lock of a build that dies, so a killed build never blocks the next one.
    """
    lock = out.with_name(f".{out.name}.lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise WriteError(f"another build (process {holder or 'unknown'}) is writing into {out}; "
                             f"wait for it to finish, or build into another folder with --out") from None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us deletes the file as it lets go: lock only the file that is still there.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


@contextlib.contextmanager
def usual_modes() -> Iterator[None]:
    """Create files 0644 and folders 0755 (Pagefind's too) whatever the user's umask: a site is for everyone to read."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def write_site(files: Mapping[str, bytes] | Iterable[tuple[str, bytes]], out: Path,
               finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` into a fresh folder beside `out`, run `finish` on it, then swap it in.

    `files` may be a stream of (path, bytes) pairs: each is written as it comes (less memory).

    A build that fails or is killed before the swap leaves the previous site untouched.
    `finish` (the search indexer) sees the complete staging folder, never a half-written one.
    One build at a time writes into `out` (see output_lock); another one is refused at once.
    """
    out = out.resolve()
    with contextlib.ExitStack() as held:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            held.enter_context(output_lock(out))
            held.enter_context(usual_modes())
            recover(out)  # holding the lock: every staging folder left is a dead build's
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        except OSError as error:
            if isinstance(error, WriteError):
                raise
            raise _write_error(out, error) from None
        try:
            _write_files(files, staging, finish)
            swap_in(staging, out)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(error, OSError) and not isinstance(error, WriteError):
                raise _write_error(out, error) from None
            raise


def _write_files(files: Mapping[str, bytes] | Iterable[tuple[str, bytes]], staging: Path,
                 finish: Callable[[Path], None] | None) -> None:
    """Write the site into `staging` and run `finish`; raise WriteError unless all of it is still there then."""
    folders = {staging}
    tops = set()  # the first part of every path written
    for relative, data in sorted(files.items()) if isinstance(files, Mapping) else files:
        target = staging / relative
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_bytes(data)
        tops.add(relative.split("/", 1)[0])
    if finish:
        finish(staging)
    (staging / MARKER).write_bytes(MARKER_TEXT)
    os.chmod(staging, 0o755)
    # Nothing is swapped in but a whole site, even if something else deleted part of the staging folder.
    lost = sorted(name for name in tops if not (staging / name).exists())
    if lost:
        raise WriteError(f"the new site lost {lost[0]} while it was being written in {staging}; the last good site is left as it was")


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
    """Put back the previous site if a build was killed between the two renames of a swap,
    and delete the staging folders of killed builds. Call it only while holding output_lock."""
    old = out.with_name(f".{out.name}.old")
    if old.is_dir() and not out.exists():
        os.rename(old, out)
    elif old.exists():  # killed after the swap, while deleting the old site: the new one is complete
        shutil.rmtree(old, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
