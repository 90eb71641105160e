"""The build cache on disk: a clean build of an unchanged project reuses the last build's output bytes.

The cache lives in the project (`.build-cache/`, git-ignored) and holds the last successful
build: `site.bin`, every output file's bytes one after another, and `site.json`, what they are
(path, length and SHA-256 of each), the warnings the build met, and the key of its
inputs: a digest of every file under content/, seeds/ and templates/ (name, kind and bytes), of
the generator's own source, of the libraries' versions and of the build's options.

A cache is used only when its format version and key are today's and every file's digest
matches its bytes; anything else (a corrupt, truncated, stale or foreign cache) is ignored
and replaced by the next build. It is never needed: `--no-cache` builds without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .problems import Problem
from .write import Data

FORMAT = 2  # 2: SHA-256 digests (1: BLAKE2b)
FOLDER = ".build-cache"
INPUTS = ("content", "seeds", "templates")
# The libraries whose behaviour shapes the output, matched by the names of their installed metadata folders.
LIBRARIES = ("jinja2", "markupsafe", "markdown_it_py", "mdurl", "orjson", "pydantic", "pydantic_core", "pyyaml", "pagefind_bin")
_HEADER, _BODY = "site.json", "site.bin"
_CODE = Path(__file__).resolve().parent


@dataclass
class Built:
    pages: int  # readers' pages written
    warnings: list[Problem]
    reused: bool  # the output came from the build cache


def build_options(strict: bool, base_url: str, search: bool) -> dict:
    """Return the options of a build that its output depends on, as they enter its key."""
    return {"strict": strict, "base_url": base_url, "search": search}


@dataclass
class Hit:
    files: list[tuple[str, bytes]]
    warnings: list[Problem]
    pages: int


def input_key(project: Path, options: dict) -> str:
    """Return the digest of everything a build's output depends on: the project's inputs, the generator, the options."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": FORMAT, "python": sys.version, "options": options, "libraries": _versions()}).encode())
    for folder, root in [(name, project / name) for name in INPUTS] + [("site_src", _CODE)]:
        for relative, record in _tree(root):
            digest.update(f"\0{folder}/{relative}\0{record}".encode())
    return digest.hexdigest()


def _versions() -> list[str]:
    """Return the installed versions of LIBRARIES as their metadata folders' names ("jinja2-3.1.4.dist-info").

    Read from the folder names: importlib.metadata alone takes longer to import than a reused build takes.
    """
    found = []
    for folder in dict.fromkeys(sys.path):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        found += sorted(n for n in names if n.endswith(".dist-info") and n.split("-", 1)[0].lower() in LIBRARIES)
    return found


def _tree(root: Path, relative: str = "") -> Iterator[tuple[str, str]]:
    """Yield (relative path, what it is) for every entry under `root` but hidden ones, in name order;
    a file or a link to one is its bytes' digest."""
    try:
        entries = sorted(os.scandir(root / relative if relative else root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = f"{relative}{entry.name}"
        if entry.is_symlink():
            yield path, f"link {os.readlink(entry.path)} {_file_digest(entry.path)}"
        elif entry.is_dir():
            yield path, "folder"
            yield from _tree(root, path + "/")
        elif entry.is_file():
            yield path, _file_digest(entry.path)
        else:
            yield path, "other"


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as error:
        return f"unreadable {error.errno}"


def read_cache(folder: Path, key: str) -> Hit | None:
    """Return the cached build whose inputs had `key`, or None if there is none or it is not sound."""
    try:
        header = json.loads((folder / _HEADER).read_bytes())
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
            return None
        body = (folder / _BODY).read_bytes()
        files, at = [], 0
        for path, length, digest in header["files"]:
            if not (isinstance(path, str) and isinstance(length, int) and isinstance(digest, str) and _plain_path(path)) or length < 0:
                return None
            data = body[at : at + length]
            if len(data) != length or hashlib.sha256(data).hexdigest() != digest:
                return None
            files.append((path, data))
            at += length
        if at != len(body):
            return None
        warnings = [Problem(w[0], w[1], w[2], w[3], w[4], tuple(w[5])) for w in header["warnings"]]
        pages = header["pages"]
        if not isinstance(pages, int) or any(p.severity != "warning" for p in warnings):
            return None
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None
    return Hit(files, warnings, pages)


def _plain_path(path: str) -> bool:
    """Return whether a cached file name stays inside the site folder: relative, no `..`, no hidden part."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and "\\" not in path and "\0" not in path and all(not p.startswith(".") for p in parts)


class Recorder:
    """Record a build's output files as they stream past, into the cache folder's new body file."""

    def __init__(self, folder: Path, key: str):
        self.folder, self.key = folder, key
        self.entries: list[list] = []
        self.body: object = None
        self.failed = False
        try:
            folder.mkdir(exist_ok=True)
            self.body = open(folder / f"{_BODY}.new", "wb")  # noqa: SIM115  # closed in store()
        except OSError:
            self.failed = True

    def add(self, path: str, data: bytes) -> None:
        if self.failed or self.body is None:
            return
        try:
            self.body.write(data)  # type: ignore[attr-defined]
        except OSError:
            self.failed = True
        self.entries.append([path, len(data), hashlib.sha256(data).hexdigest()])

    def tee(self, files: Iterable[tuple[str, Data]]) -> Iterator[tuple[str, Data]]:
        for path, data in files:
            if isinstance(data, bytes):
                self.add(path, data)
                yield path, data
            else:
                yield path, self._pieces(path, data)

    def _pieces(self, path: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """Record a file handed on in pieces (see write.Data) as they pass, in the order the files come."""
        entry: list = [path, 0, ""]
        self.entries.append(entry)
        digest = hashlib.sha256()
        for piece in pieces:
            if not self.failed and self.body is not None:
                try:
                    self.body.write(piece)  # type: ignore[attr-defined]
                except OSError:
                    self.failed = True
            digest.update(piece)
            entry[1] += len(piece)
            yield piece
        entry[2] = digest.hexdigest()

    def finishing(self, finish: Callable[[Path], None] | None, extra: str) -> Callable[[Path], None] | None:
        """Return `finish` (the search indexer) followed by recording what it wrote under `extra`."""
        if finish is None:
            return None

        def run(staging: Path) -> None:
            finish(staging)
            for file in sorted((staging / extra).rglob("*")):
                if file.is_file():
                    self.add(file.relative_to(staging).as_posix(), file.read_bytes())

        return run

    def store(self, warnings: list[Problem], pages: int) -> None:
        """Make the recorded build the cached one; a cache that cannot be written is left out silently."""
        if self.body is None:
            return
        with contextlib.suppress(OSError):
            self.body.close()  # type: ignore[attr-defined]
        if self.failed:
            return
        header = {
            "format": FORMAT,
            "key": self.key,
            "pages": pages,
            "warnings": [[p.file, p.line, p.column, p.message, p.severity, list(p.notes)] for p in warnings],
            "files": self.entries,
        }
        with contextlib.suppress(OSError):
            # The header names the body's digests, so a header and a body of different builds never pass as one.
            (self.folder / f"{_HEADER}.new").write_text(json.dumps(header))
            os.replace(self.folder / f"{_BODY}.new", self.folder / _BODY)
            os.replace(self.folder / f"{_HEADER}.new", self.folder / _HEADER)

    def discard(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.body.close()  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            (self.folder / f"{_BODY}.new").unlink()
