"""What every section of ``mlmom.yaml`` shares: strict models and durations."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DURATION_PATTERN = r"^\d+(\.\d+)?[smhd]$"


class Strict(BaseModel):
    """Unknown fields are errors (a typo is never silently ignored); specs never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1d`` in seconds (ValueError for anything else: a negative
    or endless one too, which would turn "older than" into "everything")."""
    if text[-1:] not in DURATION_UNITS:
        raise ValueError(f"{text!r} is not a duration")
    amount = float(text[:-1])
    if not (math.isfinite(amount) and amount >= 0):
        raise ValueError(f"{text!r} is not a duration")
    return amount * DURATION_UNITS[text[-1]]
