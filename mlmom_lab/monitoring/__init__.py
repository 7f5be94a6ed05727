"""Monitoring: data drift per column (Evidently's rules, from stored reference statistics)."""

from .drift import ColumnDrift, DriftResult, check_drift
from .reference import ReferenceStats, reference_stats

__all__ = ["ColumnDrift", "DriftResult", "ReferenceStats", "check_drift", "reference_stats"]
