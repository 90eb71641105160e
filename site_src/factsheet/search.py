"""After write, before the swap: the full-text search index, built by Pagefind over the finished pages."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pagefind_bin import get_executable

from .write import WriteError

BUNDLE = "pagefind"  # the index folder inside the site; search.js loads it by a relative path


def index_site(folder: Path) -> None:
    """Write the Pagefind search bundle into `folder`/pagefind; raise WriteError if Pagefind fails.

    Pages opt in with data-pagefind-body, so the search and 404 pages stay out of results;
    --keep-index-url keeps result links in the site's own style (…/index.html).
    """
    try:
        result = subprocess.run(
            [str(get_executable()), "--site", str(folder), "--output-subdir", BUNDLE, "--keep-index-url", "--silent"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
    except OSError as error:
        raise WriteError(f"cannot run the search indexer (Pagefind): {error}; reinstall with `make build`, or build with --no-search") from None
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[-300:]
        raise WriteError(f"the search indexer (Pagefind) failed with exit status {result.returncode}" + (f": {said}" if said else ""))
