"""Drift of windows too large for memory: DuckDB's reductions give the scores and verdicts
that the whole columns give in memory (which equal Evidently's: see test_drift.py), for every
kind of column, on both sides of Evidently's 1000-row rule, with default and chosen tests."""

import numpy as np
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.monitoring import check_drift, reference_stats
from mlmom_lab.monitoring.columnar import (
    BinnedColumn,
    Column,
    CountedNumbers,
    check_drift_columnar,
    connect,
    reduce_column,
)

from .test_drift import frame

pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
NUMERIC = ["numeric", "integer_big", "skewed", "missing", "few_floats"]


def columnar(stats, current, **options):
    """Every column reduced by DuckDB (in_memory_rows=0: none read whole)."""
    con = connect("512MB")
    con.register("logged", current)
    return check_drift_columnar(stats, con, "logged", list(current.columns), in_memory_rows=0,
                                **options)  # fmt: skip


def assert_same(ours, theirs):
    for expected in theirs.columns:
        got = ours[expected.column]
        assert (got.method, got.drifted, got.column_type) == (
            expected.method, expected.drifted, expected.column_type), got  # fmt: skip
        assert got.score == pytest.approx(expected.score, rel=1e-6, abs=1e-12), got
    assert ours.drifted_share == theirs.drifted_share


@pytest.mark.parametrize("reference_rows", [600, 4000])
@pytest.mark.parametrize("shift", [0.0, 0.15, 0.5])
def test_default_tests_give_the_in_memory_scores(reference_rows, shift):
    rng = np.random.default_rng(reference_rows + int(shift * 100))
    reference, current = frame(rng, reference_rows, 0.0), frame(rng, 40_000, shift)
    stats = reference_stats(reference)
    assert_same(columnar(stats, current), check_drift(stats, current))


@pytest.mark.parametrize("method", ["psi", "kl_div", "jensenshannon", "ks", "wasserstein"])
@pytest.mark.parametrize("reference_rows", [600, 4000])
def test_chosen_tests_give_the_in_memory_scores(method, reference_rows):
    rng = np.random.default_rng(reference_rows)
    reference, current = frame(rng, reference_rows, 0.0), frame(rng, 20_000, 0.15)
    stats = reference_stats(reference)
    methods = {c: method for c in NUMERIC}
    current = current[NUMERIC]
    assert_same(columnar(stats, current, methods=methods),
                check_drift(stats, current, methods=methods))  # fmt: skip


def test_each_numeric_column_is_reduced_as_far_as_its_values_allow():
    rng = np.random.default_rng(1)
    current = frame(rng, 5000, 0.0)
    stats = reference_stats(frame(rng, 2000, 0.0))
    con = connect("512MB")
    con.register("logged", current)
    reduced = {
        name: reduce_column(Column(con, "logged", name, dtype), stats[name], 0)
        for name, dtype, *_ in con.execute("DESCRIBE SELECT * FROM logged").fetchall()
        if name in NUMERIC
    }
    assert isinstance(reduced["numeric"], BinnedColumn)  # thousands of distinct floats
    assert isinstance(reduced["integer_big"], CountedNumbers)  # a hundred integers
    assert reduced["missing"].n == int(current["missing"].notna().sum())  # NaN dropped


def test_a_window_of_few_rows_is_read_whole():
    rng = np.random.default_rng(2)
    reference, current = frame(rng, 2000, 0.0), frame(rng, 3000, 0.5)
    stats = reference_stats(reference)
    con = connect("512MB")
    con.register("logged", current)
    ours = check_drift_columnar(stats, con, "logged", list(current.columns))
    assert_same(ours, check_drift(stats, current))


def test_tests_that_need_every_distinct_value_are_refused_by_name():
    rng = np.random.default_rng(3)
    stats = reference_stats(frame(rng, 2000, 0.0))
    current = frame(rng, 20_000, 0.0)[["numeric"]]
    for method, words in [("hellinger", "hellinger bins"), ("chisquare", "value frequencies")]:
        with pytest.raises(InvalidInput, match=words) as refused:
            columnar(stats, current, methods={"numeric": method})
        assert "'numeric'" in str(refused.value) and "\n" not in str(refused.value)


def test_unknown_columns_are_named():
    rng = np.random.default_rng(4)
    stats = reference_stats(frame(rng, 100, 0.0)[["numeric"]])
    con = connect("512MB")
    con.register("logged", frame(rng, 100, 0.0)[["skewed"]])
    with pytest.raises(InvalidInput, match="'numeric' is not in the logged data"):
        check_drift_columnar(stats, con, "logged", ["numeric"])
