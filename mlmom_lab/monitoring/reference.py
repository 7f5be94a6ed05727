"""Reference statistics: what the drift tests need from the training data, computed once.

Per column: the pandas dtype, the count of usable values (NaN and +-inf dropped, as Evidently
drops them) and either the sorted values (numeric columns: enough for KS, Wasserstein and any
binning, exactly) or the value counts (everything else). Stored with a model version as
``reference.json`` plus ``reference.npz``, so checking a window of the prediction log reads the
window and these files, never the training data again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from .stattests import StatTest

META, ARRAYS = "reference.json", "reference.npz"
# columns beside the features: the answer, the label, the positive class's probability
PREDICTION, TARGET, SCORE = "__prediction__", "__target__", "__score__"


@dataclass
class ColumnStats:
    """One column (of the reference or of a window), reduced to what the tests read."""

    name: str
    dtype: str
    n: int
    values: np.ndarray | None = None  # sorted usable values of a numeric column
    counts: dict[Any, int] | None = None  # value -> count of any other column
    column_type: str = ""  # Evidently's inference: numerical, categorical, text or unknown

    @property
    def numeric(self) -> bool:
        return self.values is not None

    @property
    def sorted_values(self) -> np.ndarray:
        """``values``, where the numeric tests read them: a column of counts has none."""
        if self.values is None:
            raise TypeError(f"column {self.name!r} has value counts, not values")
        return self.values

    @cached_property
    def n_unique(self) -> int:
        if self.values is None:
            return len(self.counts or {})
        return int(np.count_nonzero(np.diff(self.values))) + 1 if len(self.values) else 0

    def value_counts(self) -> dict[Any, int]:
        """Value -> count, for the tests that compare frequencies."""
        return self.counts if self.counts is not None else self._counted

    @cached_property
    def _counted(self) -> dict[Any, int]:
        keys, counts = np.unique(self.sorted_values, return_counts=True)
        return dict(zip(keys.tolist(), counts.tolist()))

    @property
    def minimum(self) -> float:
        return float(self.sorted_values[0])

    @property
    def maximum(self) -> float:
        return float(self.sorted_values[-1])

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """Counts of the values in numpy's bins over ``edges``."""
        return np.histogram(self.sorted_values, edges)[0]

    def score_with(self, test: StatTest, ref: ColumnStats, numerical: bool) -> float:
        """``test``'s score of this (current) column against ``ref``; a column reduced
        further than to its values or counts computes the score its own way."""
        return test.func(ref, self, numerical)

    def unique_values(self) -> np.ndarray | set[Any]:
        """The distinct values: a sorted array for a numeric column, else a set."""
        if self.values is not None:
            return np.unique(self.values)
        return set(self.counts or {})


@dataclass
class ReferenceStats:
    """The reference of a model version: one :class:`ColumnStats` per feature."""

    columns: dict[str, ColumnStats] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ColumnStats:
        return self.columns[name]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        meta = [
            {
                "name": c.name,
                "dtype": c.dtype,
                "n": c.n,
                "column_type": c.column_type,
                "counts": None
                if c.counts is None
                else [[plain_scalar(k), v] for k, v in c.counts.items()],
            }
            for c in self.columns.values()
        ]
        (folder / META).write_text(json.dumps({"columns": meta}))
        # Any: mypy would match these names against savez's own allow_pickle keyword
        arrays: dict[str, Any] = {
            f"c{i}": c.values for i, c in enumerate(self.columns.values()) if c.values is not None
        }
        np.savez(folder / ARRAYS, **arrays)

    @classmethod
    def load(cls, folder: Path) -> ReferenceStats:
        try:
            meta = json.loads((folder / META).read_text())["columns"]
        except FileNotFoundError:
            raise InvalidInput(f"no reference statistics in {folder}") from None
        arrays = np.load(folder / ARRAYS) if (folder / ARRAYS).exists() else {}
        columns = {}
        for i, m in enumerate(meta):
            counts = None if m["counts"] is None else {k: v for k, v in m["counts"]}
            values = arrays.get(f"c{i}", None)
            columns[m["name"]] = ColumnStats(
                m["name"], m["dtype"], m["n"], values, counts, m.get("column_type", "")
            )
        return cls(columns)


def reference_stats(frame: pd.DataFrame) -> ReferenceStats:
    """The reference statistics of every column of a pandas DataFrame."""
    return ReferenceStats(
        {str(name): column_stats(str(name), frame[name]) for name in frame.columns}
    )


def column_stats(name: str, series: pd.Series) -> ColumnStats:
    """One column reduced, NaN, None and +-inf dropped as Evidently drops them: sorted values
    for numbers, value counts (one hashing pass, no separate dropna) for anything else."""
    dtype = series.dtype.name
    if series.dtype.kind in "fiu":
        values = series.to_numpy()
        if series.dtype.kind == "f":
            values = values[np.isfinite(values)]
        values = np.sort(values)
        return ColumnStats(
            name,
            dtype,
            len(values),
            values=values,
            column_type=_numeric_type(series.dtype.kind, values),
        )
    counts = series.value_counts(dropna=True)
    counts = counts[counts > 0]  # a categorical dtype also lists its unused categories
    found = dict(zip(counts.index.tolist(), counts.to_numpy().tolist()))
    column_type = _other_type(series, dtype, len(found), sum(found.values()))
    found = {k: v for k, v in found.items() if not (isinstance(k, float) and np.isinf(k))}
    return ColumnStats(name, dtype, sum(found.values()), counts=found, column_type=column_type)


INTEGER_CARDINALITY_LIMIT = 10


def _numeric_type(kind: str, sorted_values: np.ndarray) -> str:
    """Evidently's ``infer_column_type`` for numbers: integers with <= 10 values are categories."""
    if kind == "f":
        return "numerical"
    distinct = int(np.count_nonzero(np.diff(sorted_values))) + 1 if len(sorted_values) else 0
    return "categorical" if distinct <= INTEGER_CARDINALITY_LIMIT else "numerical"


def _other_type(series: pd.Series, dtype: str, distinct: int, count: int) -> str:
    """Evidently's ``infer_column_type`` for the rest: strings with more distinct values than
    half the rows are text; booleans and categories are categorical."""
    if dtype in ("bool", "category", "boolean"):
        return "categorical"
    if dtype not in ("object", "string", "str") or count == 0:
        return "unknown"
    values = series.to_numpy()
    if isinstance(_first_present(values), str) and isinstance(_first_present(values[::-1]), str):
        return "text" if distinct > count * 0.5 else "categorical"
    return "unknown"


def _first_present(values: np.ndarray) -> Any:
    """The first value that is not missing (scanning stops there; pandas' own
    ``first_valid_index`` checks every row first)."""
    import pandas as pd

    return next((v for v in values if not pd.isna(v)), None)


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (JSON-ready); anything else as is."""
    return value.item() if isinstance(value, np.generic) else value
