"""A time window of more rows than ``monitoring.at_scale.above_rows`` is checked by DuckDB
from the log's Parquet mirror: the same verdicts, scores, counts and performance as the same
window read into memory (the expected ROC AUC aside), through the API and the CLI."""

import json
import time

import pytest
import yaml

from mlmom_lab.monitor_check import run_check
from mlmom_lab.monitoring import mirror
from mlmom_lab.project import Project

from ..helpers import mlmom, own_copy


@pytest.fixture(scope="module")
def logged(example_run, tmp_path_factory):
    """300 requests of 2 held-out rows each with the classes' probabilities (the second half
    with monthly charges x1.6), a shadow copy of each, labels for the first 100 requests."""
    import numpy as np
    import pandas as pd

    from mlmom_lab.predictions.feedback import add_feedback
    from mlmom_lab.predictions.log import PredictionLog

    project = own_copy(example_run[0], tmp_path_factory.mktemp("at_scale") / "churn")
    test = pd.read_parquet(project.root / "data" / "test.parquet")
    features = test.drop(columns="churned")
    rng = np.random.default_rng(7)
    log = PredictionLog(project.prediction_log_uri)
    began = time.time()
    for i in range(300):
        rows = features.iloc[2 * i : 2 * i + 2].copy()
        if i >= 150:
            rows["monthly_charges"] *= 1.6
        p = rng.random(2)
        outputs = {"predict": (p > 0.5).astype(int), "predict_proba": np.c_[1 - p, p]}
        for route in ("champion", "shadow"):
            log.record(
                request_id=f"w-{i}" + (":shadow" if route == "shadow" else ""),
                model="churn-classifier", version="1", route=route,
                columns={c: rows[c].to_numpy() for c in rows.columns},
                outputs=outputs, latency_ms=float(1 + i % 17),
            )  # fmt: skip
    log.close()
    labels = [{"request_id": f"w-{i}", "row": r, "label": int(test["churned"].iloc[2 * i + r])}
              for i in range(100) for r in range(2)]  # fmt: skip
    add_feedback(project.prediction_log_uri, labels)
    return project, began, time.time() + 0.001


def with_at_scale(project, above_rows):
    monitoring = project.spec.monitoring.model_copy(
        update={"at_scale": project.spec.monitoring.at_scale.model_copy(
            update={"above_rows": above_rows})})  # fmt: skip
    return Project(project.root, project.spec.model_copy(update={"monitoring": monitoring}))


@pytest.fixture
def no_lag(monkeypatch):
    monkeypatch.setattr(mirror, "LAG_SECONDS", 0.0)  # the rows were logged a moment ago


def test_a_window_at_scale_says_what_the_window_in_memory_says(logged, no_lag):
    project, began, ended = logged
    whole = run_check(with_at_scale(project, 10**9), since=began, until=ended).drift
    scaled = run_check(with_at_scale(project, 10), since=began, until=ended).drift
    assert scaled.window.at_scale and not whole.window.at_scale
    assert (scaled.window.rows, scaled.window.requests, scaled.window.labelled) == (
        whole.window.rows, whole.window.requests, whole.window.labelled) == (600, 300, 200)  # fmt: skip
    assert scaled.window.latency_p99() == pytest.approx(whole.window.latency_p99())
    for column in whole.features.columns + [whole.prediction, whole.target]:
        got = scaled.features.columns + [scaled.prediction, scaled.target]
        same = next(c for c in got if c.column == column.column)
        assert (same.method, same.drifted, same.n_current) == (
            column.method, column.drifted, column.n_current), column.column  # fmt: skip
        assert same.score == pytest.approx(column.score, rel=1e-6, abs=1e-12), column.column
    ours, theirs = scaled.performance, whole.performance
    assert ours.measured == pytest.approx(theirs.measured)
    assert ours.shares == theirs.shares
    expected = {k: v for k, v in theirs.estimated.items() if k != "roc_auc"}
    assert set(expected) == {"accuracy", "precision", "recall", "f1"}
    assert ours.estimated == pytest.approx(expected)


def test_the_cli_checks_a_window_at_scale(logged, tmp_path):
    project = own_copy(logged[0], tmp_path / "churn", keep_log=True)
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec.setdefault("monitoring", {})["at_scale"] = {"above_rows": 10, "memory_limit": "256MB"}
    (project.root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    synced = mlmom("monitor", "mirror", "--lag", "0", cwd=project.root)
    assert "mirrored 1200 rows" in synced.stdout, synced.stderr  # the shadow's rows too
    done = mlmom("monitor", "check", "--since", "1d", "--json", cwd=project.root)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["rows"] == 600 and found["labelled"] == 200
    assert found["features"]["columns"] and found["performance"]["estimated"]
