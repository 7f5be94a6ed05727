"""Who is acting, for every record that names someone (alias history, deployment changes)."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """Who is acting: ``MLMOM_USER`` when set (a server acting for someone), else the login."""
    try:
        return os.environ.get("MLMOM_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
