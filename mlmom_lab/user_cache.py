"""The user's cache folder for mlmom-lab: answers that follow from the installed packages
alone (MLflow's inferred requirements, skops's trusted types, a blank MLflow store), kept
across projects. Everything in it may be deleted at any time: it is asked again."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "MLMOM_CACHE_DIR"  # where remembered answers go; default ~/.cache/mlmom-lab


def cache_dir() -> Path:
    """``$MLMOM_CACHE_DIR``, else ``mlmom-lab`` in XDG's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlmom-lab"
