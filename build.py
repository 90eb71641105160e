#!/usr/bin/env python3
"""Entry point: python build.py [build|check|serve|new] (see --help)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "site_src"))

from factsheet.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
