"""Stage 1, load: walk content/ and seeds/, read each file through the YAML reader (yaml_reader.py)."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import stat
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import NamedTuple

from .problems import Problem
from .yaml_reader import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, Document, Position, limits, parse_page, parse_yaml, read_file, read_text

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "Document", "Key", "Position", "RawContent", "load_tree", "parse_yaml", "read_text"]

PARALLEL_FILES = 200  # below this many files a pool of processes costs more than it saves

# Which files the generator reads; anything else under content/ is reported.
CONTENT_LAYOUT = {
    "site.yaml": "site",
    "history.yaml": "history",
    "europe.yaml": "europe",
    "sources/*.yaml": "source",
    "devices/*.yaml": "device",
    "pages/*.md": "page",
}

# The one list of names the generator skips without a word: hidden files and folders (.git, an
# editor's .x.yaml.swp or .#x.yaml). serve's watcher ignores exactly these: every other file under
# content/ or seeds/ is read or refused, so adding or deleting one (a leftover x.yaml~) must rebuild.
IGNORED_PREFIXES = (".",)


def is_ignored(relative: PurePath) -> bool:
    """Return whether a path inside content/, seeds/ or templates/ is one the generator skips."""
    return any(part.startswith(IGNORED_PREFIXES) for part in relative.parts)


SINGLE_FILES = ("site", "history", "europe")  # kinds with one file each, known by their kind alone


class Key(NamedTuple):
    """A content file's identity in every stage: Key("device", "xiaomi-12s-ultra"), Key("history")."""

    kind: str  # site, history, europe, source, device or page
    id: str = ""  # the file's name without its suffix; empty for the single files

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind


def key_of(doc: Document) -> Key:
    """Return the key a loaded document is known by."""
    return Key(doc.kind) if doc.kind in SINGLE_FILES else Key(doc.kind, doc.stem)


def key_of_path(path: str) -> Key | None:
    """Return the key of a content file by its shown path (`content/devices/x.yaml`), or None for another file."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] in ("devices", "sources", "pages"):
        return Key(parts[1][:-1], parts[2].rsplit(".", 1)[0])
    kind = parts[-1].rsplit(".", 1)[0]
    return Key(kind) if len(parts) == 2 and kind in SINGLE_FILES else None


@dataclass
class RawContent:
    documents: list[Document]
    texts: dict[str, str]  # seed file name -> its text, NFC-normalised
    problems: list[Problem]
    digests: dict[str, str] = field(default_factory=dict)  # seed file name -> SHA-256 of its bytes, for the pins
    sizes: dict[str, int] = field(default_factory=dict)  # seed file name -> its size in bytes
    keys: frozenset[Key] = frozenset()  # every content file the walk found, read or not
    # Streamed (see load_tree): each content file in order as it is read, its document (None if it
    # could not be read) and problems; `documents` is then empty and `problems` only the seeds'.
    files: Iterator[tuple[Document | None, list[Problem]]] | None = None

    def each(self) -> Iterator[tuple[Document | None, list[Problem]]]:
        """Return each content file's document and problems, in order; `problems` holds the rest."""
        return self.files if self.files is not None else ((doc, []) for doc in self.documents)


def _walk(folder: str, parts: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], os.DirEntry]]:
    """Yield (path parts below the walk's start, entry) for everything under `folder` but ignored
    (hidden) names, as Path.rglob would: into folders, never through a link to one."""
    try:
        with os.scandir(folder) as entries:
            found = [entry for entry in entries if not entry.name.startswith(IGNORED_PREFIXES)]
    except PermissionError:
        return
    for entry in found:
        here = parts + (entry.name,)
        yield here, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, here)


@functools.lru_cache(maxsize=65536)  # asked for every file on every rebuild serve runs
def _content_kind(name: str) -> str | None:
    # fnmatch on the text: Path.match parses the pattern again for every file of a large site.
    for pattern, kind in CONTENT_LAYOUT.items():
        if name.count("/") == pattern.count("/") and fnmatch.fnmatchcase(name, pattern):
            return kind
    return None


def load_tree(
    project: Path,
    cache: dict[str, tuple] | None = None,
    changed: Collection[Path] | None = None,
    listed: dict | None = None,
    streamed: bool = False,
) -> RawContent:
    """Return every content document with positions, the seed texts, and the problems met on the way.

    `streamed` (a build without a cache) hands the content files on as they are read instead
    (RawContent.files, read once): validate then holds one file's loaded data at a time, not the
    whole site's (+66 MiB at 10,000 devices, and memory the process kept after).

    With a `cache` (serve keeps one), a file with the same modification time, size and inode
    as last time is not read again: its document and problems are those of last time. `listed`
    keeps what the last walk of the folders found; with it, `changed` (every file changed since
    that walk, as serve's watcher knows them) lets the walk and the other files' stamps be
    skipped, while each changed path is a file the walk found and still a plain file.
    """
    content_dir = project / "content"
    if not content_dir.is_dir():
        return RawContent([], {}, [Problem("content", 0, 0, "no content/ folder here; run the command from the project folder")])
    known = None if listed is None or changed is None else _changed_files(project, changed, listed)
    if known is not None and listed is not None and cache is not None and "last" in listed:
        patched = _patched(listed, known, cache)
        if patched is not None:
            return patched
    if known is None:
        order, seeds = _list_tree(project)
        if listed is not None:
            listed.clear()
            files = {item[1] for item in [*order, *seeds] if not isinstance(item, Problem)}  # the shown paths the walk found
            listed.update(order=order, seeds=seeds, files=files)
    else:
        order, seeds = listed["order"], listed["seeds"]  # type: ignore[index]
    keys = frozenset(_key_of_file(item[1], item[2]) for item in order if not isinstance(item, Problem))
    wanted = [item for item in order if not isinstance(item, Problem)]
    streamed = streamed and cache is None
    read = _files_in_order(order, _load_each(wanted) if streamed else iter(_load_files(wanted, cache, known).values()))
    documents: list[Document] = []
    problems: list[Problem] = []
    if not streamed:
        for doc, file_problems in read:
            problems += file_problems
            if doc is not None:
                documents.append(doc)
    texts: dict[str, str] = {}
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for seed in seeds:
        if isinstance(seed, Problem):
            problems.append(seed)
            continue
        file, shown = seed
        text, digest, size, read_problems = _read_seed(file, shown, cache, known)
        problems += read_problems
        if text is not None:
            texts[file.name], digests[file.name], sizes[file.name] = text, digest, size
    raw = RawContent(documents, texts, problems, digests, sizes, keys, read if streamed else None)
    if listed is not None and cache is not None:
        # What this load gave, and where each file's document is in it, for a load told only the files that changed.
        at = {doc.path: n for n, doc in enumerate(documents)}
        where: dict[str, tuple] = {item[1]: item for item in order if not isinstance(item, Problem)}
        where.update((item[1], item) for item in seeds if not isinstance(item, Problem))
        listed["last"] = (raw, at, where)
    return raw


def _key_of_file(shown: str, kind: str) -> Key:
    return Key(kind) if kind in SINGLE_FILES else Key(kind, PurePath(shown).stem)


def _files_in_order(
    order: list[Problem | tuple[str, str, str]], loaded: Iterator[tuple[Document | None, list[Problem]]]
) -> Iterator[tuple[Document | None, list[Problem]]]:
    """Yield each walked file's document and problems, in the walk's order; `loaded` has those of the files to read, in that order."""
    for item in order:
        yield (None, [item]) if isinstance(item, Problem) else next(loaded)


def _patched(listed: dict, known: set[str], cache: dict[str, tuple]) -> RawContent | None:
    """Return the last load with the `known` changed files read again, or None when one of them
    had or has a problem, or no document (their places in the lists would change): then every
    file is taken from the cache in the walk's order."""
    last, at, where = listed["last"]
    documents, texts, digests, sizes = list(last.documents), dict(last.texts), dict(last.digests), dict(last.sizes)
    for shown in sorted(known):
        item, before = where[shown], cache.get(shown)
        if before is None:
            return None
        if len(item) == 2:  # a seed: (path, shown path); its entry (stamp, None, (text, digest, size, problems))
            if before[2][0] is None or before[2][3]:
                return None
            text, digest, size, problems = _read_seed(item[0], shown, cache)
            if text is None or problems:
                return None
            texts[item[0].name], digests[item[0].name], sizes[item[0].name] = text, digest, size
            continue
        if before[1] is None or before[2]:  # a content file's entry: (stamp, document, problems)
            return None
        doc, problems = _load_files([item], cache)[shown]
        if doc is None or problems:
            return None
        documents[at[shown]] = doc
    raw = RawContent(documents, texts, last.problems, digests, sizes, last.keys)
    listed["last"] = (raw, at, where)
    return raw


def _changed_files(project: Path, changed: Collection[Path], listed: dict) -> set[str] | None:
    """Return the shown paths of the changed files that load reads, or None when the last walk
    cannot be trusted: a changed path is a folder, a link, gone, or a file the walk did not find."""
    if not listed:
        return None
    root = project.resolve()
    known = set()
    for path in changed:
        try:  # the folder resolved, not the file: a link is looked at itself
            relative = (Path(path).parent.resolve() / Path(path).name).relative_to(root)
        except ValueError:
            return None
        if relative.parts[:1] not in (("content",), ("seeds",)) or is_ignored(relative):
            continue  # templates, or a name the walk skips
        shown = relative.as_posix()
        try:
            plain = stat.S_ISREG(os.lstat(root / relative).st_mode)
        except OSError:
            return None
        if not plain or shown not in listed["files"]:
            return None
        known.add(shown)
    return known


def _list_tree(project: Path) -> tuple[list[Problem | tuple[str, str, str]], list[Problem | tuple[Path, str]]]:
    """Walk content/ and seeds/: return, in order, each content file to load (path, shown path,
    kind) or the problem it gives, and each seed to read (path, shown path) or its problem."""
    content_dir = project / "content"
    seeds_dir = project / "seeds"
    real: dict[Path, Path] = {}  # folders resolved during this walk
    order: list[Problem | tuple[str, str, str]] = []
    # os.scandir, not Path.rglob: the walk was a tenth of load's time, in Path objects made per entry.
    for parts, entry in sorted(_walk(str(content_dir), ())):
        relative = "/".join(parts)
        shown = f"content/{relative}"
        # A path as text: a Path made per file was most of a rebuild's load on a large site.
        file = os.path.join(content_dir, relative)
        if entry.is_symlink():
            # A link may point anywhere; entries that are no link lie in a folder the walk did not reach through one.
            if not _inside(Path(file), content_dir, real):
                order.append(Problem(shown, 1, 1, "a link to a file outside content/; copy the file in instead"))
                continue
            is_dir, is_file = os.path.isdir(file), os.path.isfile(file)
        else:
            is_dir, is_file = entry.is_dir(follow_symlinks=False), entry.is_file(follow_symlinks=False)
        if is_dir:
            continue
        if not is_file:  # a pipe or a device would block or never end
            order.append(Problem(shown, 1, 1, "not a regular file; content/ holds only text files"))
            continue
        kind = _content_kind(relative)
        if kind is None:
            order.append(Problem(shown, 1, 1, _unread_hint(PurePath(relative))))
            continue
        order.append((file, shown, kind))
    seeds: list[Problem | tuple[Path, str]] = []
    for seed in sorted(seeds_dir.glob("*.txt")) if seeds_dir.is_dir() else []:
        if is_ignored(PurePath(seed.name)):
            continue
        shown = seed.relative_to(project).as_posix()
        if not _inside(seed, seeds_dir, real):
            seeds.append(Problem(shown, 1, 1, "a link to a file outside seeds/; copy the file in instead"))
        elif not seed.is_file():
            seeds.append(Problem(shown, 1, 1, "not a regular file; seeds/ holds only text files"))
        else:
            seeds.append((seed, shown))
    for stray in sorted(seeds_dir.iterdir()) if seeds_dir.is_dir() else []:
        if stray.suffix.lower() in (".yaml", ".yml"):  # content put in the wrong folder is never read: say so
            seeds.append(
                Problem(
                    stray.relative_to(project).as_posix(),
                    0,
                    0,
                    "a YAML file in seeds/, which holds only the archived "
                    "texts (.txt); the generator ignores it: if it describes a source, move it to content/sources/",
                    "warning",
                )
            )
    return order, seeds


def _read_seed(
    seed: Path, shown: str, cache: dict[str, tuple] | None, known: set[str] | None = None
) -> tuple[str | None, str, int, list[Problem]]:
    """Return an archived text (NFC), the SHA-256 and size of its bytes, and the problems reading it;
    with a `cache`, an unchanged file's (same modification time, size and inode, or not among the
    `known` changed files) are last time's."""
    if cache is not None:
        if known is not None and shown not in known and shown in cache:
            return cache[shown][2]
        info = seed.stat()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if shown in cache and cache[shown][0] == stamp:
            return cache[shown][2]
    text, data, problems = read_file(seed, shown)
    digest, size = "", 0
    if text is not None:
        text = unicodedata.normalize("NFC", text)
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    if cache is not None:
        cache[shown] = (stamp, None, (text, digest, size, problems))  # no document: the entries of content files have theirs
    return text, digest, size, problems


def _load_files(
    wanted: list[tuple[str, str, str]], cache: dict[str, tuple] | None, known: set[str] | None = None
) -> dict[str, tuple[Document | None, list[Problem]]]:
    """Return each wanted file's document and problems by its shown name; many files load on every core.
    With a `cache`, a file not among the `known` changed files is taken from it unread."""
    if cache is not None:
        result = {}
        for file, shown, kind in wanted:
            if known is not None and shown not in known and shown in cache:
                result[shown] = cache[shown][1:]
                continue
            info = os.stat(file)
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
            if shown in cache and cache[shown][0] == stamp:
                result[shown] = cache[shown][1:]
            else:
                result[shown] = _load_file(file, shown, kind)
                cache[shown] = (stamp, *result[shown])
        return result
    return dict(zip((shown for _, shown, _ in wanted), _load_each(wanted), strict=True))


def _load_each(wanted: list[tuple[str, str, str]]) -> Iterator[tuple[Document | None, list[Problem]]]:
    """Yield each wanted file's document and problems, in order, as they are read; many files load on every core."""
    workers = os.cpu_count() or 1
    if workers > 1 and len(wanted) > PARALLEL_FILES:
        import multiprocessing  # here: a small site never needs it, and importing it is a cost every build would pay

        # This process loads every `workers`-th file itself, between handing on the pool's: a worker
        # of its own instead would cost a process more and send every document back.
        theirs = [item for index, item in enumerate(wanted) if index % workers]
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            loaded = pool.imap(_load_item, theirs, chunksize=max(1, len(theirs) // ((workers - 1) * 8)))
            for index, item in enumerate(wanted):
                yield _load_item(item) if index % workers == 0 else next(loaded)
        return
    for item in wanted:
        yield _load_item(item)


def _load_item(item: tuple[str, str, str]) -> tuple[Document | None, list[Problem]]:
    return _load_file(*item)


def _load_file(path: str, shown: str, kind: str) -> tuple[Document | None, list[Problem]]:
    file = Path(path)
    text, problems = read_text(file, shown, limits(kind)[0])
    if text is None:
        return None, problems
    doc, problems = parse_page(text, shown) if kind == "page" else parse_yaml(text, shown, kind)
    if doc is not None:
        doc.mtime_ns = file.stat().st_mtime_ns
        doc.digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        if doc.source is not None:
            doc.source = file  # read again only if a problem is to be located in it
    return doc, problems


def _inside(file: Path, folder: Path, real: dict[Path, Path]) -> bool:
    """Return whether `file` really lies in `folder`; `real` keeps each folder's resolved path for one load."""

    def resolved(path: Path) -> Path:
        if path not in real:
            real[path] = path.resolve()
        return real[path]

    # A file that is no link lies where its folder really is: one lstat instead of one per path component.
    where = file.resolve() if file.is_symlink() else resolved(file.parent) / file.name
    return where.is_relative_to(resolved(folder))


def _unread_hint(relative: PurePath) -> str:
    if relative.suffix in (".yml", ".YAML", ".Yaml"):
        return f"the generator reads only '.yaml' files; rename it to '{relative.with_suffix('.yaml').name}'"
    folders = ", ".join(sorted({p.split("/")[0] + "/" for p in CONTENT_LAYOUT if "/" in p}))
    return f"the generator does not read this file; content/ holds site.yaml, history.yaml, europe.yaml and the folders {folders}"
