"""Where a project's dashboards live: ``dashboards/`` in the project, seeded from ours."""

from __future__ import annotations

import shutil
from pathlib import Path

DASHBOARDS = ("explain.ipynb", "drift.ipynb")


def ensure_dashboards(root: Path) -> Path:
    """The project's ``dashboards/`` folder, with any of ours it lacks copied in (a user's
    own edits are kept)."""
    from ..scaffold import example_dir

    target = Path(root) / "dashboards"
    target.mkdir(exist_ok=True)
    for name in DASHBOARDS:
        if not (target / name).exists():
            shutil.copyfile(example_dir() / "dashboards" / name, target / name)
    return target
