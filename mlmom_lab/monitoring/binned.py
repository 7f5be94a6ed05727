"""A numeric column of a window too large for memory, as counts and sums of fine bins.

Over a bin where one empirical CDF stays above the other, the Wasserstein integral of
``|F_ref - F_cur|`` follows from the bin's count and sum (the integral of an empirical CDF
over a bin is ``(before * width + sum(right edge - x)) / n``); the few bins where the CDFs may
cross are read again as their exact values. The K-S statistic is the greatest gap at the ends
of every bin where the reference's CDF is flat, and from the exact values in the bins that
hold reference values. Sturges histograms are counted by DuckDB with numpy's edge rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidInput
from .duck import Column, numeric_kind
from .reference import ColumnStats
from .stattests import StatTest

MAX_COUNTS = 1000  # up to this many distinct values a numeric column is read as value counts
FINE_BINS = 1 << 20


def ks_p_value(d: float, n1: int, n2: int) -> float:
    """scipy's two-sided ``ks_2samp`` p-value for samples too large for its exact mode."""
    from scipy.stats import kstwo

    if max(n1, n2) <= 10000:  # scipy's MAX_AUTO_N: never reached by a window this large
        raise ValueError("ks_2samp computes small samples exactly")
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def no_hellinger(name: str) -> InvalidInput:
    return InvalidInput(
        f"column {name!r}: hellinger bins a numerical column by its distinct values, which a "
        "window this large is not read for (choose psi, kl_div or jensenshannon)"
    )


class BinnedColumn(ColumnStats):
    """A numeric column of many distinct values: counts and sums of fine equal bins over
    the range of both samples, and the column to read exact values from where needed."""

    source: Column
    lo: float
    width: float
    in_bin: np.ndarray  # count per bin
    sum_in_bin: np.ndarray
    least: float
    greatest: float

    @classmethod
    def of(
        cls, column: Column, ref: ColumnStats, n: int, least: float, greatest: float
    ) -> BinnedColumn:
        """Bin ``column`` (``n`` usable values from ``least`` to ``greatest``)."""
        lo, hi = float(least), float(greatest)
        if ref.numeric and ref.n:
            lo, hi = min(lo, ref.minimum), max(hi, ref.maximum)
        self = cls(
            column.name, column.dtype.lower(), int(n), None, None, numeric_kind(column, False)
        )
        self.source, self.lo, self.width = column, lo, (hi - lo) / FINE_BINS
        self.least, self.greatest = float(least), float(greatest)
        rows = column.con.execute(column.sql(
            f"{self._bin} AS b, count(*) AS n, sum({column.ident}::DOUBLE) AS s", group="b"
        )).fetchnumpy()  # fmt: skip
        self.in_bin = np.bincount(rows["b"], rows["n"], FINE_BINS)
        self.sum_in_bin = np.bincount(rows["b"], rows["s"], FINE_BINS)
        return self

    @property
    def _bin(self) -> str:
        v = f"{self.source.ident}::DOUBLE"
        top = FINE_BINS - 1
        return f"least({top}, greatest(0, floor(({v} - {self.lo!r}) / {self.width!r})))::BIGINT"

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value, computed as DuckDB computes it."""
        return np.clip(np.floor((values - self.lo) / self.width), 0, FINE_BINS - 1).astype(int)

    @property
    def edges(self) -> np.ndarray:
        return self.lo + self.width * np.arange(FINE_BINS + 1)

    @property
    def n_unique(self) -> int:
        return MAX_COUNTS + 1  # over every limit a test's choice looks at

    @property
    def minimum(self) -> float:
        return self.least

    @property
    def maximum(self) -> float:
        return self.greatest

    def value_counts(self) -> dict[Any, int]:
        raise InvalidInput(
            f"column {self.name!r}: a test of value frequencies on a numerical column of over "
            f"{MAX_COUNTS} distinct values is not available for a window this large "
            "(choose ks, wasserstein, psi, kl_div or jensenshannon)"
        )

    def histogram(self, edges: np.ndarray) -> np.ndarray:
        """numpy's histogram over ``edges``: edges[i] <= v < edges[i+1], the last bin closed."""
        v = f"{self.source.ident}::DOUBLE"
        index = " + ".join(f"({v} >= {float(e)!r})::INTEGER" for e in edges[1:-1]) or "0"
        rows = self.source.con.execute(self.source.sql(
            f"{index} AS i, count(*) AS n", group="i")).fetchnumpy()  # fmt: skip
        return np.bincount(rows["i"], rows["n"], len(edges) - 1)

    def exact_in(self, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct values in ``bins`` and their counts: bin, value and count arrays."""
        column = self.source
        inner = column.sql(f"{self._bin} AS b, {column.ident}::DOUBLE AS v")
        rows = column.con.execute(
            f"SELECT b, v, count(*) AS n FROM ({inner}) WHERE b IN (SELECT unnest(?)) "
            "GROUP BY b, v",
            [np.unique(bins).tolist()],
        ).fetchnumpy()
        return rows["b"].astype(int), rows["v"].astype(float), rows["n"].astype(float)

    def score_with(self, test: StatTest, ref: ColumnStats, numerical: bool) -> float:
        if test.name == "wasserstein":
            return wasserstein(self, ref.sorted_values) / max(
                float(np.std(ref.sorted_values)), 0.001
            )
        if test.name == "ks":
            return ks_p_value(ks_statistic(self, ref.sorted_values), ref.n, self.n)
        if test.name == "hellinger" and numerical:
            raise no_hellinger(self.name)
        return super().score_with(test, ref, numerical)


@dataclass
class _Sides:
    """Both samples over the fine bins: counts before each bin and in it, per side."""

    u_before: np.ndarray
    u_in: np.ndarray
    v_before: np.ndarray
    v_in: np.ndarray
    m: int
    n: int


def _sides(cur: BinnedColumn, u: np.ndarray) -> _Sides:
    u_in = np.bincount(cur.bin_of(u), minlength=FINE_BINS).astype(float)
    v_in = cur.in_bin
    return _Sides(_before(u_in), u_in, _before(v_in), v_in, u.size, cur.n)


def _before(counts: np.ndarray) -> np.ndarray:
    """How many values lie in the bins before each bin."""
    return np.concatenate(([0.0], np.cumsum(counts)[:-1]))


def wasserstein(cur: BinnedColumn, u: np.ndarray) -> float:
    """The integral of ``|F_u - F_v|``: from counts and sums over the bins where one CDF
    stays above the other, from the exact values over the others."""
    s = _sides(cur, u)
    edges = cur.edges
    width = np.diff(edges)
    u_sums = np.bincount(cur.bin_of(u), weights=u, minlength=FINE_BINS)
    # the integral of an empirical CDF over [e_b, e_b+1): (before * width + sum(e_b+1 - x)) / n
    int_u = (s.u_before * width + s.u_in * edges[1:] - u_sums) / s.m
    int_v = (s.v_before * width + s.v_in * edges[1:] - cur.sum_in_bin) / s.n
    u_above = s.u_before / s.m >= (s.v_before + s.v_in) / s.n
    v_above = s.v_before / s.n >= (s.u_before + s.u_in) / s.m
    settled = u_above | v_above
    total = float(np.sum(np.abs(int_u - int_v)[settled]))
    crossing = np.flatnonzero(~settled)
    if crossing.size:
        total += _exact(cur, u, s, crossing)[0]
    return total


def ks_statistic(cur: BinnedColumn, u: np.ndarray) -> float:
    """The greatest ``|F_u - F_v|``: at the ends of every bin without reference values (where
    F_u is flat), and from the exact values in the bins that hold some."""
    s = _sides(cur, u)
    flat = s.u_in == 0
    level = s.u_before[flat] / s.m
    ends = np.concatenate((
        np.abs(level - s.v_before[flat] / s.n),
        np.abs(level - (s.v_before[flat] + s.v_in[flat]) / s.n),
    ))  # fmt: skip
    held = np.flatnonzero(~flat)
    inner = _exact(cur, u, s, held)[1] if held.size else 0.0
    return float(max(ends.max(initial=0.0), inner))


def _exact(cur: BinnedColumn, u: np.ndarray, s: _Sides, bins: np.ndarray) -> tuple[float, float]:
    """Over ``bins``, from the exact values of both sides: the integral of ``|F_u - F_v|``
    and its greatest value at any value of either side."""
    v_bin, v_val, v_n = cur.exact_in(bins)
    u_bin = cur.bin_of(u)
    chosen = np.isin(u_bin, bins)
    edges = cur.edges
    # rows: each bin's start, the values of both sides, each bin's end (kind 0, 1, 2)
    b = np.concatenate((bins, u_bin[chosen], v_bin, bins))
    x = np.concatenate((edges[bins], u[chosen], v_val, edges[bins + 1]))
    du = np.concatenate(
        (np.zeros(bins.size), np.ones(int(chosen.sum())), np.zeros(v_bin.size + bins.size))
    )
    dv = np.concatenate((np.zeros(bins.size + int(chosen.sum())), v_n, np.zeros(bins.size)))
    kind = np.concatenate(
        (np.zeros(bins.size), np.ones(int(chosen.sum()) + v_bin.size), np.full(bins.size, 2))
    )
    order = np.lexsort((kind, x, b))
    b, x, du, dv, kind = b[order], x[order], du[order], dv[order], kind[order]
    starts = kind == 0
    # counts through each row, restarted at each bin's start from the counts before the bin
    cu, cv = np.cumsum(du), np.cumsum(dv)
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    fu = (s.u_before[b] + cu - cu[first][group]) / s.m
    fv = (s.v_before[b] + cv - cv[first][group]) / s.n
    gap = np.diff(x, append=x[-1])
    gap[kind == 2] = 0.0  # from a bin's end to the next bin's start: another bin
    diff = np.abs(fu - fv)
    last_of_value = np.append((x[1:] != x[:-1]) | (b[1:] != b[:-1]), True)
    return float(np.sum(diff * gap)), float(diff[last_of_value].max(initial=0.0))
