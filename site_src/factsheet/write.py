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
# A file's bytes, or its pieces in order (a large file such as facts.json is never whole in memory).
Data = bytes | Iterable[bytes]


def whole(data: Data) -> bytes:
    """Return a file's bytes, joined if they come in pieces."""
    return data if isinstance(data, bytes) else b"".join(data)


# Pieces are handed to the kernel this many at a time (the most one writev call takes), or about a MB of them.
IOV_PIECES = 1024
IOV_BYTES = 1 << 20


def write_file(path: str | Path, data: Data) -> None:
    """Write a new file's bytes, or its pieces in order, through a file descriptor: a buffered file
    object cost more than writing a page's bytes, and many small pieces (facts.json kept by serve, a
    fact each) go to the kernel a batch per call, not one call each."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        batch: list[bytes] = []
        size = 0
        for piece in (data,) if isinstance(data, bytes) else data:
            batch.append(piece)
            size += len(piece)
            if len(batch) == IOV_PIECES or size >= IOV_BYTES:
                _write_all(fd, batch, size)
                batch, size = [], 0
        _write_all(fd, batch, size)
    finally:
        os.close(fd)


def _write_all(fd: int, pieces: list[bytes], size: int) -> None:
    written = os.writev(fd, pieces) if pieces else 0
    if written < size:  # a short write: the rest as one block
        rest = memoryview(b"".join(pieces))[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]


def update_site(out: Path, changed: Mapping[str, Data], removed: Iterable[str]) -> None:
    """Write only the files that changed into a site folder built before, and delete those removed (a
    preview's copy: a reader may see it half updated, unlike write_site's swap)."""
    for relative, data in changed.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, data)
    for relative in removed:
        (out / relative).unlink(missing_ok=True)


# A mount point cannot be renamed: the build stages and swaps inside it, in entries named so.
WORK = ".factsheet-work-"


class WriteError(OSError):
    """The site could not be written into its folder; the last good site is left as it was."""


def check_out(out: Path, project: Path) -> None:
    """Raise WriteError if building into `out` would replace the project or a folder that is not a site."""
    out, project = out.resolve(), project.resolve()
    if project.is_relative_to(out) or any(out.is_relative_to(project / name) for name in PROJECT_FOLDERS):
        raise WriteError(
            f"refusing to write the site into {out}: it would replace the project's own files; choose a folder such as {project / '_site'}"
        )
    if out.exists() and not out.is_dir():
        raise WriteError(f"refusing to replace {out}: it is a file, not a folder; choose a new or empty folder")
    if out.is_dir() and not (out / MARKER).is_file():
        names = {entry.name for entry in out.iterdir()}
        # A swap inside a mount point that a killed build left half done is ours: recover() finishes it.
        if names - {name for name in names if name.startswith(WORK)} and not names & {f"{WORK}old", f"{WORK}swap"}:
            raise WriteError(
                f"refusing to replace {out}: it holds files but no {MARKER}, so it is no site built here "
                f"(a site built before that file was written: delete it once); choose a new or empty folder"
            )


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the lock on building into `out` (a file beside it, or in it if it is a mount point); raise
    WriteError at once if another build holds it.

    The kernel drops the lock of a build that dies, so a killed build never blocks the next one.
    """
    lock = out / f"{WORK}lock" if os.path.ismount(out) else out.with_name(f".{out.name}.lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise WriteError(
                f"another build (process {holder or 'unknown'}) is writing into {out}; "
                f"wait for it to finish, or build into another folder with --out"
            ) from None
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


def write_site(files: Mapping[str, bytes] | Iterable[tuple[str, Data]], out: Path, finish: Callable[[Path], None] | None = None) -> None:
    """Write `files` into a fresh folder beside `out` (inside it, if it is a mount point), run `finish` on it, then swap it in.

    `files` may be a stream of (path, bytes) pairs: each is written as it comes (less memory); a
    file's bytes may come as an iterable of pieces, each written as it comes.

    A build that fails or is killed before the swap leaves the previous site untouched.
    `finish` (the search indexer) sees the complete staging folder, never a half-written one.
    One build at a time writes into `out` (see output_lock); another one is refused at once.
    """
    out = out.resolve()
    inside = os.path.ismount(out)  # the staging folder must be on the same disk as the site to be renamed in
    with contextlib.ExitStack() as held:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            held.enter_context(output_lock(out))
            held.enter_context(usual_modes())
            recover(out)  # holding the lock: every staging folder left is a dead build's
            staging = Path(
                tempfile.mkdtemp(prefix=f"{WORK}new-", dir=out) if inside else tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent)
            )
        except OSError as error:
            if isinstance(error, WriteError):
                raise
            raise _write_error(out, error) from None
        try:
            _write_files(files, staging, finish)
            (swap_inside if inside else swap_in)(staging, out)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if inside:
                with contextlib.suppress(OSError):
                    recover(out)  # put the old site back, if the swap failed while moving it aside
            if isinstance(error, OSError) and not isinstance(error, WriteError):
                raise _write_error(out, error) from None
            raise


def _write_files(files: Mapping[str, bytes] | Iterable[tuple[str, Data]], staging: Path, finish: Callable[[Path], None] | None) -> None:
    """Write the site into `staging` and run `finish`; raise WriteError unless all of it is still there then."""
    root = str(staging)
    folders = {""}  # relative to the staging folder
    tops = set()  # the first part of every path written
    # Paths as text: a site has thousands of small files, and Path objects were a fifth of writing them.
    for relative, data in sorted(files.items()) if isinstance(files, Mapping) else files:
        folder = relative.rpartition("/")[0]
        if folder not in folders:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            folders.add(folder)
        write_file(os.path.join(root, relative), data)
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


def swap_inside(staging: Path, out: Path) -> None:
    """Swap the site in `staging` for the one in `out` entry by entry, both inside the mount point `out`.

    The old site's entries go into WORK-old; then the staging folder is renamed WORK-swap, and from
    that rename on recovery finishes moving the new site in instead of putting the old one back.
    """
    old, swap = out / f"{WORK}old", out / f"{WORK}swap"
    old.mkdir()
    for entry in sorted(out.iterdir()):
        if not entry.name.startswith(WORK):
            os.rename(entry, old / entry.name)
    os.rename(staging, swap)
    try:
        for entry in sorted(swap.iterdir()):
            os.rename(entry, out / entry.name)
        os.rmdir(swap)
    except OSError:
        _recover_inside(out)  # the new site is going in: a second try finishes it, or the next build's does
    shutil.rmtree(old, ignore_errors=True)


def _recover_inside(out: Path) -> None:
    old, swap = out / f"{WORK}old", out / f"{WORK}swap"
    if swap.is_dir():  # killed while moving the new site in: finish that
        for entry in sorted(swap.iterdir()):
            os.rename(entry, out / entry.name)
        os.rmdir(swap)
    elif old.is_dir():  # killed while moving the old site aside: put it back
        for entry in sorted(old.iterdir()):
            os.rename(entry, out / entry.name)
    shutil.rmtree(old, ignore_errors=True)
    for leftover in out.glob(f"{WORK}new-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def recover(out: Path) -> None:
    """Put back the previous site if a build was killed between the two renames of a swap (or, in a
    mount point, finish or undo a swap it was killed in), and delete the staging folders of killed
    builds. Call it only while holding output_lock."""
    if os.path.ismount(out):
        _recover_inside(out)
        return
    old = out.with_name(f".{out.name}.old")
    if old.is_dir() and not out.exists():
        os.rename(old, out)
    elif old.exists():  # killed after the swap, while deleting the old site: the new one is complete
        shutil.rmtree(old, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
