"""After write, before the swap: the full-text search index, built by Pagefind over the finished pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pagefind_bin import get_executable

from .write import WriteError

BUNDLE = "pagefind"  # the index folder inside the site; search.js loads it by a relative path


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """Return what the indexer runs before it starts so that it is killed when the build dies (Linux;
    elsewhere None). Otherwise a killed build leaves Pagefind running for minutes, writing into a
    staging folder that was cleaned up."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: a build without the index never needs it

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child between fork and exec should do little

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the build died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


def index_site(folder: Path) -> None:
    """Write the Pagefind search bundle into `folder`/pagefind; raise WriteError if Pagefind fails.

    Pages opt in with data-pagefind-body, so the search and 404 pages stay out of results;
    --keep-index-url keeps result links in the site's own style (…/index.html).
    """
    try:
        result = subprocess.run(
            [str(get_executable()), "--site", str(folder), "--output-subdir", BUNDLE, "--keep-index-url", "--silent"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    except OSError as error:
        raise WriteError(
            f"cannot run the search indexer (Pagefind): {error}; reinstall with `make build`, or build with --no-search"
        ) from None
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[-300:]
        raise WriteError(f"the search indexer (Pagefind) failed with exit status {result.returncode}" + (f": {said}" if said else ""))
    sort_languages(folder / BUNDLE / "pagefind-entry.json")


def sort_languages(entry: Path) -> None:
    """Rewrite Pagefind's entry file with its languages in a fixed order: Pagefind writes them in
    the order of a hash map, so a site of two languages came out different from one build to the
    next. The search reads them by name; the order means nothing to it."""
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no entry file (or not Pagefind's): nothing to put in order
    if isinstance(data, dict) and isinstance(data.get("languages"), dict):
        data["languages"] = dict(sorted(data["languages"].items()))
        entry.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
