"""Per-column data drift with Evidently's default rules, and the dataset verdict.

The rules (Evidently 0.7, ``evidently.legacy.calculations.stattests.registry``), where a
column's type is inferred from the *current* data as Evidently's ``infer_column_type`` does
(floats numerical; integers categorical up to 10 distinct values; strings, booleans and
categories categorical; strings with more distinct values than half the rows are text):

- reference <= 1000 rows: numerical with > 5 distinct values (both samples together) -> KS;
  otherwise chi-square, or the Z-test with <= 2 distinct values;
- reference > 1000 rows: numerical with > 5 distinct values -> Wasserstein distance / std;
  otherwise Jensen-Shannon distance;
- the dataset drifts when the drifted share of columns >= 0.5.

Any column may name another test (``methods={"age": "psi"}``) and threshold. Text columns
are reported as not checked: Evidently trains a classifier on them, which we do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from ..errors import InvalidInput
from .reference import ColumnStats, ReferenceStats, column_stats, reference_stats
from .stattests import TESTS, StatTest

if TYPE_CHECKING:
    import pandas as pd

DRIFT_SHARE = 0.5


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict: which test, its score (a p-value or a distance), the threshold."""

    column: str
    method: str
    score: float | None
    kind: str
    threshold: float | None
    drifted: bool
    column_type: str
    n_reference: int
    n_current: int
    note: str = ""


@dataclass
class DriftResult:
    """All columns' verdicts and the dataset's."""

    columns: list[ColumnDrift]
    drift_share: float = DRIFT_SHARE
    checked: list[str] = field(default_factory=list)

    @property
    def drifted_share(self) -> float:
        return sum(c.drifted for c in self.columns) / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drifted_share >= self.drift_share

    def __getitem__(self, column: str) -> ColumnDrift:
        return next(c for c in self.columns if c.column == column)

    def to_frame(self) -> pd.DataFrame:
        """One row per column: ``column, method, score, kind, threshold, drifted`` and more."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.columns])

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drifted_share": self.drifted_share,
            "drift_share": self.drift_share,
            "columns": [asdict(c) for c in self.columns],
        }


def check_drift(
    reference: pd.DataFrame | ReferenceStats,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    drift_share: float = DRIFT_SHARE,
) -> DriftResult:
    """Drift of ``current`` (a DataFrame) from ``reference`` (a DataFrame or its
    :class:`ReferenceStats`), column by column, with Evidently's default tests."""
    stats = reference if isinstance(reference, ReferenceStats) else reference_stats(reference)
    names = (
        list(columns) if columns is not None else [c for c in stats.columns if c in current.columns]
    )
    _check_options(names, stats, current, methods or {}, thresholds or {}, drift_share)
    results = [
        column_drift(
            stats[name],
            current[name],
            method=(methods or {}).get(name),
            threshold=(thresholds or {}).get(name),
        )
        for name in names
    ]
    return DriftResult(results, drift_share)


class _Sides(TypedDict):
    """What every :class:`ColumnDrift` of a column says, whatever its test."""

    column: str
    column_type: str
    n_reference: int
    n_current: int


def column_drift(
    ref: ColumnStats,
    current: pd.Series | ColumnStats,
    *,
    method: str | None = None,
    threshold: float | None = None,
) -> ColumnDrift:
    """One column's verdict; ``current`` is a pandas Series (or already reduced)."""
    cur = current if isinstance(current, ColumnStats) else column_stats(ref.name, current)
    column_type = cur.column_type
    base: _Sides = {
        "column": ref.name,
        "column_type": column_type,
        "n_reference": ref.n,
        "n_current": cur.n,
    }
    if column_type == "text" and method is None:
        return ColumnDrift(
            method="",
            score=None,
            kind="",
            threshold=None,
            drifted=False,
            note="text column: not checked",
            **base,
        )
    if ref.n == 0 or cur.n == 0:
        side = "reference" if ref.n == 0 else "current"
        return ColumnDrift(
            method="",
            score=None,
            kind="",
            threshold=None,
            drifted=False,
            note=f"no usable values in the {side} data",
            **base,
        )
    numerical = column_type == "numerical"
    if numerical and not ref.numeric:
        raise InvalidInput(
            f"column {ref.name!r} is numerical now but was {ref.dtype} in the reference"
        )
    test = TESTS[method] if method else default_test(ref, cur, numerical)
    limit = test.default_threshold if threshold is None else threshold
    if test.p_value and not 0 < limit < 1:
        raise InvalidInput(
            f"thresholds.{ref.name}: {limit!r} is not a p-value threshold in (0, 1) for {test.name}"
        )
    score = cur.score_with(test, ref, numerical)
    return ColumnDrift(
        method=test.name,
        score=score,
        kind=test.kind,
        threshold=limit,
        drifted=test.drifted(score, limit),
        **base,
    )


def default_test(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> StatTest:
    """Evidently's choice by reference size, column type and distinct values."""
    n_values = _distinct(ref, cur, at_most=5)
    if ref.n <= 1000:
        if numerical and n_values > 5:
            return TESTS["ks"]
        return TESTS["chisquare"] if n_values > 2 else TESTS["z"]
    if numerical and n_values > 5:
        return TESTS["wasserstein"]
    return TESTS["jensenshannon"]


def _distinct(ref: ColumnStats, cur: ColumnStats, at_most: int) -> int:
    """Distinct values of both samples together, counted exactly up to ``at_most + 1``."""
    if ref.n_unique > at_most:
        return ref.n_unique
    if cur.n_unique > at_most:
        return cur.n_unique
    return len(set(ref.value_counts()) | set(cur.value_counts()))


def _check_options(
    names: list[str],
    stats: ReferenceStats,
    current: pd.DataFrame,
    methods: Mapping[str, str],
    thresholds: Mapping[str, float],
    drift_share: float,
) -> None:
    for name in names:
        if name not in stats.columns:
            raise InvalidInput(
                f"column {name!r} is not in the reference "
                f"(reference columns: {', '.join(stats.columns)})"
            )
        if name not in current.columns:
            raise InvalidInput(f"column {name!r} is not in the current data")
    for name, method in methods.items():
        if name not in names:
            raise InvalidInput(f"methods: unknown column {name!r}")
        if method not in TESTS:
            raise InvalidInput(
                f"methods.{name}: unknown method {method!r} (methods: {', '.join(TESTS)})"
            )
    for name, value in thresholds.items():
        if name not in names:
            raise InvalidInput(f"thresholds: unknown column {name!r}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 10:
            raise InvalidInput(f"thresholds.{name}: {value!r} is not a number in (0, 10)")
    if not 0 < drift_share <= 1:
        raise InvalidInput(f"drift_share: {drift_share!r} is not in (0, 1]")
