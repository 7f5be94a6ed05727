"""Monitoring: data drift per column (Evidently's rules, from stored reference statistics) and
windows over the prediction log. Heavy libraries load only when a check runs."""

from .drift import ColumnDrift, DriftResult, check_drift
from .reference import ReferenceStats, reference_stats
from .windows import Window, WindowDrift, check_window, load_window, reference_for

__all__ = [
    "ColumnDrift",
    "DriftResult",
    "ReferenceStats",
    "Window",
    "WindowDrift",
    "check_drift",
    "check_window",
    "load_window",
    "reference_for",
    "reference_stats",
]
