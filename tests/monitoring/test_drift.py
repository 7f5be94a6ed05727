"""Data drift: our per-column verdicts equal Evidently 0.7's on the same frames, for every
column kind, on both sides of Evidently's 1000-row rule, with default and chosen tests."""

import numpy as np
import pandas as pd
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.monitoring import ReferenceStats, check_drift, reference_stats
from mlmom_lab.monitoring.stattests import TESTS

# Evidently's own chi-square divides by zero for a value new in the current data
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
NAMES = {t.display_name: t.name for t in TESTS.values()}
NUMERIC = ["numeric", "integer_big", "skewed", "missing", "few_floats", "constant"]
CATEGORICAL = ["categorical", "binary", "integer_small", "boolean"]


def frame(rng, n, shift):
    """Every kind of column Evidently treats differently; ``shift`` moves them all."""
    return pd.DataFrame(
        {
            "numeric": rng.normal(shift, 1, n),
            "integer_small": rng.integers(0, 4 + (shift > 0), n),
            "integer_big": rng.integers(0, 100 + int(shift * 60), n),
            "categorical": rng.choice(
                list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.3, 0.3, 0.2, 0.2]
            ),
            "binary": rng.choice(["yes", "no"], n, p=[0.5, 0.5] if shift == 0 else [0.4, 0.6]),
            "boolean": rng.random(n) < 0.5 + shift / 10,
            "constant": np.full(n, 3.0),
            "skewed": rng.lognormal(shift / 3, 1, n),
            "missing": np.where(rng.random(n) < 0.3, np.nan, rng.normal(shift, 1, n)),
            "few_floats": rng.choice([0.5, 1.5, 2.5], n),
        }
    )


def evidently(reference, current, per_column_method=None):
    """Evidently's own DataDriftPreset: column -> (test, score, threshold), and the share."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    report = Report([DataDriftPreset(per_column_method=per_column_method)])
    columns, share = {}, None
    for metric in report.run(current, reference).dict()["metrics"]:
        config = metric["config"]
        if metric["metric_name"].startswith("ValueDrift("):
            method = NAMES.get(config["method"], config["method"])
            columns[config["column"]] = (method, metric["value"], config["threshold"])
        elif metric["metric_name"].startswith("DriftedColumnsCount("):
            share = metric["value"]["share"]
    return columns, share


def assert_same(ours, theirs):
    for column in ours.columns:
        method, score, threshold = theirs[column.column]
        assert column.method == method, column
        assert column.score == pytest.approx(score, rel=1e-6, abs=1e-12), column
        assert column.drifted == TESTS[method].drifted(score, threshold), column


@pytest.mark.parametrize("reference_rows", [600, 1000, 1001, 4000])
@pytest.mark.parametrize("shift", [0.0, 0.15, 0.5])
def test_default_tests_agree_with_evidently(reference_rows, shift):
    rng = np.random.default_rng(reference_rows + int(shift * 100))
    reference, current = frame(rng, reference_rows, 0.0), frame(rng, 700, shift)
    theirs, share = evidently(reference, current)
    ours = check_drift(reference, current)
    assert_same(ours, theirs)
    assert ours.drifted_share == pytest.approx(share)
    assert ours.dataset_drift == (share >= 0.5)


@pytest.mark.parametrize(
    "method", ["psi", "kl_div", "hellinger", "jensenshannon", "wasserstein", "ks", "chisquare", "z"]
)
def test_chosen_tests_agree_with_evidently(method):
    columns = {
        "wasserstein": NUMERIC[:-1],
        "ks": NUMERIC[:-1],
        "chisquare": CATEGORICAL,
        "z": ["binary", "boolean"],
    }.get(method, NUMERIC[:-1] + CATEGORICAL)
    chosen = {c: method for c in columns}
    for reference_rows, shift in [(600, 0.5), (3000, 0.0), (3000, 0.5)]:
        rng = np.random.default_rng(7)
        reference, current = frame(rng, reference_rows, 0.0), frame(rng, 700, shift)
        theirs, _ = evidently(reference, current, chosen)
        assert_same(check_drift(reference, current, columns=columns, methods=chosen), theirs)


def test_the_matrix_really_has_drift_and_stability():
    rng = np.random.default_rng(3)
    reference = frame(rng, 4000, 0.0)
    assert not check_drift(reference, frame(rng, 2000, 0.0)).dataset_drift
    drifted = check_drift(reference, frame(rng, 2000, 0.5))
    assert drifted.dataset_drift and drifted["numeric"].drifted
    assert not drifted["constant"].drifted and drifted["constant"].score == 0.0


def test_stored_reference_statistics_give_the_same_result(tmp_path):
    rng = np.random.default_rng(5)
    reference, current = frame(rng, 3000, 0.0), frame(rng, 900, 0.15)
    reference_stats(reference).save(tmp_path / "ref")
    from_stats = check_drift(ReferenceStats.load(tmp_path / "ref"), current)
    assert from_stats.to_frame().equals(check_drift(reference, current).to_frame())


def test_the_result_for_notebooks():
    rng = np.random.default_rng(1)
    result = check_drift(frame(rng, 500, 0.0), frame(rng, 500, 0.5))
    table = result.to_frame()
    assert list(table.columns[:6]) == ["column", "method", "score", "kind", "threshold", "drifted"]
    assert set(table["kind"]) == {"p_value"} and len(table) == 10
    assert isinstance(result.dataset_drift, bool)


def test_text_and_empty_columns_are_reported_not_guessed():
    reference = pd.DataFrame({"note": [f"text {i}" for i in range(300)], "x": [1.0] * 300})
    current = pd.DataFrame({"note": [f"other {i}" for i in range(300)], "x": [np.nan] * 300})
    result = check_drift(reference, current)
    assert result["note"].note == "text column: not checked" and not result["note"].drifted
    assert result["x"].note == "no usable values in the current data"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"columns": ["nope"]}, "column 'nope' is not in the reference"),
        ({"methods": {"numeric": "magic"}}, "methods.numeric: unknown method 'magic'"),
        ({"methods": {"nope": "psi"}}, "methods: unknown column 'nope'"),
        ({"thresholds": {"numeric": -1}}, "thresholds.numeric: -1 is not a number"),
        ({"thresholds": {"numeric": 2.0}}, "thresholds.numeric: 2.0 is not a p-value threshold"),
        ({"drift_share": 0}, "drift_share: 0 is not in"),
    ],
)
def test_bad_options_name_the_field(kwargs, message):
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidInput, match=message):
        check_drift(frame(rng, 300, 0.0), frame(rng, 300, 0.0), **kwargs)
