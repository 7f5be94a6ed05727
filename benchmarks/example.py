"""The example project's sources copied for a benchmark (no state, data or outs: a first run
starts from nothing, as a user's clone does)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEFT_OUT = (".mlmom", "data", "models", "reports", "__pycache__")


def copy_example(root: Path) -> Path:
    """The example's sources in ``root`` (created); returns it."""
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(*LEFT_OUT))
    return root
