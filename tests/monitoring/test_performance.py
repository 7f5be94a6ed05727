"""Model drift: measured metrics where labels arrived, the CBPE-style estimate before they do,
on the example's real champion and a stream from the example's own data generator."""

import sys

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from mlmom_lab.monitoring.performance import estimated, expected_roc_auc
from mlmom_lab.monitoring.windows import Window, load_window, window_performance
from mlmom_lab.predictions.feedback import add_feedback
from mlmom_lab.predictions.log import PredictionLog
from mlmom_lab.serving import runtime as rt

from ..helpers import own_copy


def test_the_estimate_matches_outcomes_drawn_from_calibrated_probabilities():
    rng = np.random.default_rng(0)
    p = rng.beta(2, 3, 40_000)
    y = rng.random(p.size) < p  # each row positive with its own probability
    guess = estimated(p, p >= 0.5)
    assert guess["accuracy"] == pytest.approx(accuracy_score(y, p >= 0.5), abs=0.01)
    assert guess["roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=0.01)
    assert expected_roc_auc(np.array([0.5, 0.5])) == pytest.approx(0.5)  # ties count once


@pytest.fixture(scope="module")
def stream(example_run, tmp_path_factory):
    """Three windows of 1,500 customers each from the example's generator, shift 0, 0.5 and
    1 (the population and the churn behaviour both move), served by the real champion,
    logged with their probabilities, and labelled."""
    project = own_copy(example_run[0], tmp_path_factory.mktemp("performance") / "churn")
    sys.path.insert(0, str(project.root))
    from churn_data import FEATURES, TARGET, make_customers

    champion = rt.load(project, "champion")
    log = PredictionLog(project.prediction_log_uri)
    labels = []
    for shift in (0.0, 0.5, 1.0):
        customers = make_customers(1500, seed=1000 + int(shift * 10), shift=shift)
        for i in range(0, len(customers), 50):
            chunk = customers.iloc[i : i + 50]
            raw = {
                c: chunk[c].astype(object).where(chunk[c].notna(), None).tolist() for c in FEATURES
            }
            columns = champion.schema.validate(raw)
            answer = champion.predict(columns)
            rid = f"perf-{shift}-{i}"
            record = log.record(
                request_id=rid,
                model=champion.name,
                version=champion.version,
                route="champion",
                columns=columns,
                latency_ms=1.0,
                outputs={"predict": answer.values, "predict_proba": answer.probabilities},
            )
            assert record is None
            labels += [
                {"request_id": rid, "row": r, "label": int(v)} for r, v in enumerate(chunk[TARGET])
            ]
    log.close()
    add_feedback(project.prediction_log_uri, labels)
    return project


@pytest.mark.parametrize("shift, tolerance", [(0.0, 0.04), (0.5, 0.06), (1.0, 0.12)])
def test_the_estimate_lands_near_the_measured_accuracy(stream, shift, tolerance):
    project = stream
    everything = load_window(project)
    rows = everything.frame[everything.frame["request_id"].str.startswith(f"perf-{shift}-")]
    window = Window(
        everything.model, everything.version, None, rows.reset_index(drop=True), None, None
    )
    performance = window_performance(project, window)
    assert performance.labelled == 1500 and performance.baseline["roc_auc"] > 0.7
    gap = abs(performance.estimated_on_labelled["accuracy"] - performance.measured["accuracy"])
    print(
        f"shift {shift}: measured accuracy {performance.measured['accuracy']:.3f}, "
        f"estimated {performance.estimated_on_labelled['accuracy']:.3f}, gap {gap:.3f}; "
        f"ROC AUC measured {performance.measured['roc_auc']:.3f}, "
        f"estimated {performance.estimated_on_labelled['roc_auc']:.3f}"
    )
    assert gap < tolerance
    assert set(performance.measured) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
