"""After write, before the swap: the full-text search index, built by Pagefind over the finished pages."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pagefind_bin import get_executable

BUNDLE = "pagefind"  # the index folder inside the site; search.js loads it by a relative path


def index_site(folder: Path) -> None:
    """Write the Pagefind search bundle into `folder`/pagefind; raise if Pagefind fails.

    Pages opt in with data-pagefind-body, so the search and 404 pages stay out of results;
    --keep-index-url keeps result links in the site's own style (…/index.html).
    """
    subprocess.run(
        [str(get_executable()), "--site", str(folder), "--output-subdir", BUNDLE, "--keep-index-url", "--silent"],
        check=True, stdin=subprocess.DEVNULL,
    )
