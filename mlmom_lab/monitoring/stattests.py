"""The drift tests, computed from two reduced columns (reference and current).

Each follows Evidently 0.7's implementation (``evidently.legacy.calculations.stattests``)
step by step, so that on the same data the scores and verdicts are the same; the difference
is that both sides arrive as :class:`~.reference.ColumnStats` (sorted values or value
counts): the reference reduced once per model version, the current side once per check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import sqrt
from typing import Any

import numpy as np

from .reference import ColumnStats


@dataclass(frozen=True)
class StatTest:
    """A drift test: its function, whether its score is a p-value, its default threshold."""

    name: str
    display_name: str
    func: Callable[[ColumnStats, ColumnStats, bool], float]  # (reference, current, numerical)
    p_value: bool
    default_threshold: float
    numerical: bool = True
    categorical: bool = True

    @property
    def kind(self) -> str:
        return "p_value" if self.p_value else "distance"

    def drifted(self, score: float, threshold: float) -> bool:
        """Evidently's rule: a low p-value or a large distance is drift (KS: p <= threshold)."""
        if self.p_value:
            return bool(score <= threshold) if self.name == "ks" else bool(score < threshold)
        return bool(score >= threshold)


def _ks(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    from scipy.stats import ks_2samp

    return float(ks_2samp(ref.sorted_values, cur.sorted_values)[1])


def _chisquare(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    from scipy.stats import chisquare

    ref_counts, cur_counts, keys = _frequencies(ref, cur)
    k_norm = cur.n / ref.n
    f_exp = [ref_counts.get(key, 0) * k_norm for key in keys]
    f_obs = [cur_counts.get(key, 0) for key in keys]
    with np.errstate(divide="ignore", invalid="ignore"):  # a value new in current: p = 0
        return float(chisquare(f_obs, f_exp)[1])


def _z(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    from scipy.stats import norm

    ref_counts, cur_counts, keys = _frequencies(ref, cur)
    if len(ref_counts) == 1 and len(cur_counts) == 1 and set(ref_counts) == set(cur_counts):
        return 1.0
    first = min(keys)
    n1, n2 = ref.n, cur.n
    p1 = float(n1 - ref_counts.get(first, 0)) / n1  # the share that is not the first key
    p2 = float(n2 - cur_counts.get(first, 0)) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - norm.cdf(np.abs(z))))


def _wasserstein(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    norm = max(float(np.std(ref.sorted_values)), 0.001)
    return float(wasserstein_distance(ref.sorted_values, cur.sorted_values) / norm)


def wasserstein_distance(u_sorted: np.ndarray, v_sorted: np.ndarray) -> float:
    """scipy's ``wasserstein_distance`` for two sorted samples, to the last bit.

    scipy sorts both samples and binary-searches every merged value in each; here both come
    sorted (the reference once, when its statistics are made) and the empirical CDFs come
    from one stable merge in linear time. The CDF values and the gaps between merged values
    are exactly scipy's, and so is the dot product that sums them.
    """
    merged = np.concatenate((u_sorted, v_sorted))
    order = np.argsort(merged, kind="stable")  # two sorted runs: a merge
    all_values = merged[order]
    u_through = np.cumsum(order < u_sorted.size)  # u values at or before each position
    new_value = np.diff(all_values) != 0
    run_end = np.append(np.flatnonzero(new_value), all_values.size - 1)
    run_of = np.concatenate(([0], np.cumsum(new_value)))[:-1]  # run of each value but the last
    u_cdf = u_through[run_end][run_of] / u_sorted.size  # searchsorted(..., "right")
    v_cdf = (np.arange(1, all_values.size + 1) - u_through)[run_end][run_of] / v_sorted.size
    difference = np.abs(u_cdf - v_cdf)
    deltas = np.diff(all_values)
    return float(
        np.vecdot(difference, deltas) if hasattr(np, "vecdot") else np.sum(difference * deltas)
    )


def _jensenshannon(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    from scipy.spatial import distance

    ref_p, cur_p = binned(ref, cur, numerical, fill_zeroes=False)
    return float(distance.jensenshannon(ref_p, cur_p))


def _psi(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    ref_p, cur_p = binned(ref, cur, numerical)
    return float(np.sum((ref_p - cur_p) * np.log(ref_p / cur_p)))


def _kl_div(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    from scipy import stats

    ref_p, cur_p = binned(ref, cur, numerical)
    return float(stats.entropy(ref_p, cur_p))


def _hellinger(ref: ColumnStats, cur: ColumnStats, numerical: bool) -> float:
    if not numerical:
        ref_counts, cur_counts, keys = _frequencies(ref, cur)
        total = sum(sqrt(ref_counts.get(k, 0) / ref.n * cur_counts.get(k, 0) / cur.n) for k in keys)
    else:
        # union1d takes the distinct values of both (the unique_values of each, merged)
        distinct = np.union1d(ref.sorted_values, cur.sorted_values)
        bins = np.histogram_bin_edges(distinct, bins="sturges")
        h1 = np.histogram(ref.sorted_values, bins=bins, density=True)[0]
        h2 = np.histogram(cur.sorted_values, bins=bins, density=True)[0]
        width = (max(bins) - min(bins)) / (len(bins) - 1)
        total = sum(sqrt(float(a) * float(b)) * width for a, b in zip(h1, h2))
    return float(sqrt(1 - np.clip(total, 0, 1)))


def binned(
    ref: ColumnStats, cur: ColumnStats, numerical: bool, fill_zeroes: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Shares per bin (numeric with > 20 reference values: Sturges bins over both samples)
    or per value, as Evidently's ``get_binned_data``."""
    if numerical and ref.n_unique > 20:
        bins = sturges_edges(ref, cur)
        ref_p = ref.histogram(bins) / ref.n
        cur_p = cur.histogram(bins) / cur.n
    else:
        ref_counts, cur_counts, keys = _frequencies(ref, cur)
        ref_p = np.array([ref_counts.get(k, 0) / ref.n for k in keys])
        cur_p = np.array([cur_counts.get(k, 0) / cur.n for k in keys])
    if fill_zeroes:
        ref_p, cur_p = _fill_zeroes(ref_p), _fill_zeroes(cur_p)
    return ref_p, cur_p


def sturges_edges(ref: ColumnStats, cur: ColumnStats) -> np.ndarray:
    """``np.histogram_bin_edges(both samples together, "sturges")`` from each sample's size,
    least and greatest value (all that numpy's rule reads)."""
    first, last = min(ref.minimum, cur.minimum), max(ref.maximum, cur.maximum)
    if first == last:
        first, last = first - 0.5, last + 0.5
    integers = ref.dtype.startswith(("int", "uint")) and cur.dtype.startswith(
        ("int", "uint", "bigint", "integer", "smallint", "tinyint")
    )
    width = (last - first) / (np.log2(ref.n + cur.n) + 1.0)
    if integers and width < 1:
        width = 1
    count = int(np.ceil((last - first) / width)) if width else 1
    return np.linspace(first, last, count + 1, endpoint=True, dtype=float)


def _fill_zeroes(p: np.ndarray) -> np.ndarray:
    smallest = p[p != 0].min()
    return np.where(p == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, p)


def _frequencies(
    ref: ColumnStats, cur: ColumnStats
) -> tuple[dict[Any, int], dict[Any, int], list[Any]]:
    ref_counts, cur_counts = ref.value_counts(), cur.value_counts()
    return ref_counts, cur_counts, list(set(ref_counts) | set(cur_counts))


TESTS: dict[str, StatTest] = {
    t.name: t
    for t in (
        StatTest("ks", "K-S p_value", _ks, True, 0.05, categorical=False),
        StatTest("chisquare", "chi-square p_value", _chisquare, True, 0.05, numerical=False),
        StatTest("z", "Z-test p_value", _z, True, 0.05, numerical=False),
        StatTest(
            "wasserstein",
            "Wasserstein distance (normed)",
            _wasserstein,
            False,
            0.1,
            categorical=False,
        ),
        StatTest("jensenshannon", "Jensen-Shannon distance", _jensenshannon, False, 0.1),
        StatTest("psi", "PSI", _psi, False, 0.1),
        StatTest("kl_div", "Kullback-Leibler divergence", _kl_div, False, 0.1),
        StatTest("hellinger", "Hellinger distance", _hellinger, False, 0.1),
    )
}
