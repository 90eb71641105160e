"""Build one project folder the way `python build.py build` builds ours: a fresh process, the same CLI.

python bench/build_project.py PROJECT OUT [--no-search]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "site_src"))

from factsheet.cli import main  # noqa: E402

if __name__ == "__main__":
    project, out = Path(sys.argv[1]), sys.argv[2]
    sys.exit(main(["build", "--out", out, *sys.argv[3:]], project=project))
