"""A time window of more rows than ``monitoring.at_scale.above_rows`` is checked by DuckDB
from the log's Parquet mirror: the same verdicts, scores, counts and performance as the same
window read into memory (the expected ROC AUC aside), through the API and the CLI."""

import json

import numpy as np
import pytest
import yaml

from mlmom_lab.monitor_check import run_check
from mlmom_lab.monitoring import mirror
from mlmom_lab.project import Project

from ..helpers import mlmom, own_copy
from .test_windows import log_traffic


@pytest.fixture(scope="module")
def logged(example_run, tmp_path_factory):
    """The traffic of test_windows.py with the classes' probabilities and varied latencies."""
    project = own_copy(example_run[0], tmp_path_factory.mktemp("at_scale") / "churn")
    rng = np.random.default_rng(7)

    def answers(i):
        p = rng.random(2)
        return {"predict": (p > 0.5).astype(int), "predict_proba": np.c_[1 - p, p]}

    return log_traffic(project, answers, latency_of=lambda i: float(1 + i % 17))


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
    done = mlmom("monitor", "check", "--since", "1d", "--no-explain", "--json", cwd=project.root)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["rows"], found["requests"], found["labelled"]) == (600, 300, 200)
    assert found["at_scale"]  # the window is over above_rows: counted from the mirror
    assert found["features"]["columns"] and found["performance"]["estimated"]
