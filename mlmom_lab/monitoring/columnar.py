"""Drift of a window far larger than memory: DuckDB reduces each column where it lies.

A window of the prediction log's Parquet mirror may hold hundreds of millions of rows. DuckDB
reduces each column, under a memory limit and spilling to a temporary folder, to what the
drift tests need, and the tests give the scores they give on the whole column in memory:

- a column of at most :data:`IN_MEMORY_ROWS` values is read whole and checked as any window;
- a larger one of at most :data:`~.binned.MAX_COUNTS` distinct values, or any string or
  boolean column, as its value counts (:class:`CountedNumbers` for numbers);
- a numeric column of more distinct values as counts and sums of fine bins, with exact values
  read again only where the tests need them (:mod:`.binned`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput
from .binned import MAX_COUNTS, BinnedColumn, ks_p_value, no_hellinger
from .drift import DRIFT_SHARE, DriftResult, column_drift
from .duck import Column, columns_of, connect, literal, numeric_kind, quote
from .reference import INTEGER_CARDINALITY_LIMIT, ColumnStats, ReferenceStats, column_stats
from .stattests import StatTest

if TYPE_CHECKING:
    import duckdb

__all__ = ["IN_MEMORY_ROWS", "check_drift_columnar", "connect", "literal", "quote", "reduce_column"]

IN_MEMORY_ROWS = 2_000_000  # up to this many values a column is read and checked in memory


def check_drift_columnar(
    reference: ReferenceStats,
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: list[str],
    *,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    drift_share: float = DRIFT_SHARE,
    in_memory_rows: int = IN_MEMORY_ROWS,
) -> DriftResult:
    """:func:`~.drift.check_drift` of a DuckDB relation, one column at a time."""
    types = columns_of(con, relation)
    for name in columns:
        if name not in reference.columns:
            raise InvalidInput(f"column {name!r} is not in the reference")
        if name not in types:
            raise InvalidInput(f"column {name!r} is not in the logged data")
    results = []
    for name in columns:
        current = reduce_column(Column(con, relation, name, types[name]), reference[name],
                                in_memory_rows)  # fmt: skip
        results.append(
            column_drift(
                reference[name],
                current,
                method=(methods or {}).get(name),
                threshold=(thresholds or {}).get(name),
            )
        )
    return DriftResult(results, drift_share)


def reduce_column(column: Column, ref: ColumnStats, in_memory_rows: int) -> ColumnStats:
    """The column reduced as small as the tests allow (see the module's docstring)."""
    # one scan for the count and the range (the bins need both)
    span = f", min({column.ident}), max({column.ident})" if column.numeric else ""
    n, *extremes = column.one("count(*)" + span)
    if n <= in_memory_rows:
        frame = column.con.execute(f"SELECT {column.ident} FROM {column.relation}").df()
        return column_stats(column.name, frame[column.name])  # drops what Evidently drops
    if not column.numeric:
        return _counted_other(column)
    if column.distinct_at_most(MAX_COUNTS):
        return CountedNumbers.of(column, column.counts())
    return BinnedColumn.of(column, ref, n, *extremes)


def _counted_other(column: Column) -> ColumnStats:
    """Strings and booleans as value counts, typed as Evidently's ``infer_column_type``."""
    counts = column.counts()
    total = sum(counts.values())
    if column.base_type == "BOOLEAN":
        kind = "categorical"
    elif column.base_type == "VARCHAR":
        kind = "text" if len(counts) > total * 0.5 else "categorical"
    else:
        kind = "unknown"
    return ColumnStats(column.name, column.dtype.lower(), total, counts=counts, column_type=kind)


class CountedNumbers(ColumnStats):
    """A numeric column of many rows and few distinct values, as its value counts: the
    numeric tests read the distinct values weighted by their counts."""

    @classmethod
    def of(cls, column: Column, counts: dict[Any, int]) -> CountedNumbers:
        kind = numeric_kind(column, len(counts) <= INTEGER_CARDINALITY_LIMIT)
        return cls(column.name, column.dtype.lower(), sum(counts.values()), None, counts, kind)

    @cached_property
    def keys(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values, sorted, and their counts."""
        counts = self.counts or {}
        values = sorted(counts)
        return np.array(values, dtype=float), np.array([counts[v] for v in values], dtype=float)

    @property
    def minimum(self) -> float:
        return float(self.keys[0][0])

    @property
    def maximum(self) -> float:
        return float(self.keys[0][-1])

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        values, weights = self.keys
        return np.histogram(values, edges, weights=weights)[0]

    def score_with(self, test: StatTest, ref: ColumnStats, numerical: bool) -> float:
        if test.name in ("ks", "wasserstein"):
            return _weighted(test, ref, *self.keys)
        if test.name == "hellinger" and numerical:
            raise no_hellinger(self.name)
        return super().score_with(test, ref, numerical)


def _weighted(test: StatTest, ref: ColumnStats, values: np.ndarray, weights: np.ndarray) -> float:
    """K-S p-value or normed Wasserstein distance of the reference's values against distinct
    ``values`` seen ``weights`` times (scipy's computation, on the distinct values)."""
    u = ref.sorted_values
    if test.name == "ks" and max(u.size, weights.sum()) <= 10000:  # scipy's exact mode
        from scipy.stats import ks_2samp

        return float(ks_2samp(u, np.repeat(values, weights.astype(int)))[1])
    points = np.union1d(u, values)
    u_cdf = np.searchsorted(u, points, side="right") / u.size
    v_through = np.concatenate(([0.0], np.cumsum(weights)))
    v_cdf = v_through[np.searchsorted(values, points, side="right")] / v_through[-1]
    if test.name == "ks":
        return ks_p_value(float(np.max(np.abs(u_cdf - v_cdf))), u.size, int(v_through[-1]))
    distance = float(np.sum(np.abs(u_cdf - v_cdf)[:-1] * np.diff(points)))
    return distance / max(float(np.std(u)), 0.001)
