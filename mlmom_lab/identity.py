"""Who is acting, for every record that names someone (alias history, deployment changes)."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """Who is acting: ``MLMOM_USER`` when set (a server acting for someone), else the user
    the tracking server authenticates (``MLFLOW_TRACKING_USERNAME``), else the login."""
    try:
        return (
            os.environ.get("MLMOM_USER")
            or os.environ.get("MLFLOW_TRACKING_USERNAME")
            or getpass.getuser()
        )
    except (KeyError, OSError):
        return "unknown"
