"""The base URL a site is published at: checked where it is given, on the command line or in site.yaml."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_NOT_IN_BASE_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'<>`\\]")


def check_base_url(value: str) -> str:
    """Return `value` if it is an http(s) address with a host the site may be published at; raise ValueError saying why not."""
    hint = "write it as https://owner.github.io/repo/"
    found = _NOT_IN_BASE_URL.search(value)
    if found:
        raise ValueError(f"the base URL holds {found.group()!r} (character {found.start() + 1}); {hint}")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not value.lower().startswith(parts.scheme.lower() + "://"):
        raise ValueError(f"the base URL '{value}' is not an http:// or https:// address; {hint}")
    try:
        port_ok = parts.port is None or parts.port > 0  # raises ValueError for a port that is no number or out of range
    except ValueError:
        port_ok = False
    if not parts.hostname or not port_ok:
        raise ValueError(f"the base URL '{value}' names no host (or a bad port); {hint}")
    if parts.path.startswith("//"):
        raise ValueError(f"the base URL '{value}' has a path starting with '//', which browsers read as another host; {hint}")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"the base URL '{value}' has a query or fragment ('?' or '#'); {hint}")
    return value
