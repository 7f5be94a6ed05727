"""Windows over a real prediction log of the example's champion: by count and by time, per
route, labels joined by request id and row, and drift against the registered reference."""

import json
import time

import numpy as np
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.monitoring.reference import PREDICTION, TARGET
from mlmom_lab.monitoring.windows import check_window, load_window, parse_since
from mlmom_lab.predictions.feedback import add_feedback
from mlmom_lab.predictions.log import PredictionLog

from ..helpers import mlmom, own_copy


@pytest.fixture(scope="module")
def logged(example_run, tmp_path_factory):
    """300 requests of 2 held-out rows each (the second half with monthly charges x1.6), a
    shadow copy of each, and labels for the first 100 requests, in a copy of the example with
    an empty log."""
    project = own_copy(example_run[0], tmp_path_factory.mktemp("windows") / "churn")
    return log_traffic(project, lambda i: {"predict": np.array([i % 2, 1])})


def log_traffic(project, outputs_of, latency_of=lambda i: 1.0):
    """Log the traffic described in :func:`logged`, each request answered ``outputs_of(i)``;
    the project, and the time span it was logged in."""
    import pandas as pd

    test = pd.read_parquet(project.root / "data" / "test.parquet")
    features = test.drop(columns="churned")
    log = PredictionLog(project.prediction_log_uri)
    began = time.time()
    for i in range(300):
        rows = features.iloc[2 * i : 2 * i + 2].copy()
        if i >= 150:
            rows["monthly_charges"] *= 1.6
        columns = {c: rows[c].to_numpy() for c in rows.columns}
        outputs = outputs_of(i)
        for route in ("champion", "shadow"):
            log.record(
                request_id=f"w-{i}" + (":shadow" if route == "shadow" else ""),
                model="churn-classifier",
                version="1",
                route=route,
                columns=columns,
                outputs=outputs,
                latency_ms=latency_of(i),
            )
    log.close()
    labels = [
        {"request_id": f"w-{i}", "row": r, "label": int(test["churned"].iloc[2 * i + r])}
        for i in range(100)
        for r in range(2)
    ]
    add_feedback(project.prediction_log_uri, labels)
    return project, began, time.time() + 0.001


def test_a_window_by_count_holds_the_last_rows_with_their_labels(logged):
    project, _, ended = logged
    window = load_window(project, last=100, until=ended)
    assert window.rows == 100 and set(window.frame["route"]) == {"champion"}
    assert list(window.frame["request_id"].iloc[[0, -1]]) == ["w-250", "w-299"]
    assert window.labelled == 0  # labels came only for the first 100 requests
    everything = load_window(project, until=ended)
    assert everything.rows == 600 and everything.labelled == 200
    first = everything.frame[everything.frame["request_id"] == "w-0"]
    assert list(first["row"]) == [0, 1] and list(first[PREDICTION]) == [0, 1]
    assert first[TARGET].notna().all()


def test_a_window_by_time_and_route(logged):
    project, began, ended = logged
    assert load_window(project, since=began, until=ended, route="shadow").rows == 600
    assert load_window(project, since=time.time() + 60).rows == 0
    assert load_window(project, until=began - 3600).rows == 0


def test_drift_of_a_window_against_the_registered_reference(logged):
    project, began, ended = logged
    shifted = check_window(project, load_window(project, last=300, until=ended))
    features = shifted.features
    assert features["monthly_charges"].drifted
    assert features["monthly_charges"].method == "wasserstein"  # > 1000 reference rows
    assert not features["contract"].drifted
    assert shifted.target is None  # no labels in the last 300 rows
    steady = check_window(project, load_window(project, since=began, until=ended))
    assert steady.target is not None and steady.target.n_current == 200  # the labelled rows
    assert steady.prediction.column == PREDICTION and steady.prediction.method


def test_the_cli_shows_a_window_and_refuses_bad_input(logged):
    project, began, _ = logged
    # the window and its drift (the explanation drift beside it: tests/explain)
    since = ("--since", str(began), "--no-explain")
    result = mlmom("monitor", "check", *since, "--json", cwd=project.root, check=True)
    shown = json.loads(result.stdout)
    drifted = {c["column"] for c in shown["features"]["columns"] if c["drifted"]}
    assert "monthly_charges" in drifted and shown["rows"] == 600
    assert shown["requests"] == 300 and not shown["at_scale"]  # read into memory
    text = mlmom("monitor", "check", *since, cwd=project.root, check=True).stdout
    assert "monthly_charges" in text and "DRIFT" in text and "(prediction)" in text
    for args, message in [
        (["--since", "yesterday"], "not a duration"),
        (["--version", "99"], "no version 99"),
    ]:
        result = mlmom("monitor", "check", *args, cwd=project.root)
        assert result.returncode == 1 and message in result.stderr
        assert "Traceback" not in result.stderr


def test_window_options_are_checked():
    with pytest.raises(InvalidInput, match="last: 0 is not a positive"):
        load_window(None, last=0)
    assert parse_since("2h", now=10_000.0) == 10_000.0 - 7200
    assert parse_since("1700000000") == 1700000000.0
    for nonsense in ("-5m", "nanm", "infd", "nan", "inf", "5x"):  # -5m: the future, not the past
        with pytest.raises(InvalidInput, match=f"since: '{nonsense}' is not a duration"):
            parse_since(nonsense)


def test_pruning_refuses_a_negative_age(tmp_path):
    """Older than minus five minutes is everything: refused in one line, the log untouched."""
    mlmom("init", str(tmp_path / "p"), cwd=tmp_path, check=True)
    result = mlmom("monitor", "prune", "--older-than", "-5m", cwd=tmp_path / "p")
    assert result.returncode == 2, result.stderr
    assert "Error: Invalid value: '-5m' is not a duration like 90d, 12h or 30m" in result.stderr


def test_the_evidently_report_agrees_and_is_logged_with_the_version(logged, tmp_path):
    from mlmom_lab.mlflow_clients import client
    from mlmom_lab.monitoring.report import write_report
    from mlmom_lab.registry import get_version

    project, began, ended = logged
    window = load_window(project, since=began, until=ended)
    files = write_report(project, window, tmp_path)
    assert files.html.stat().st_size > 100_000 and "<html" in files.html.read_text()[:2000]
    values = {
        m["config"]["column"]: m["value"]
        for m in json.loads(files.json.read_text())["metrics"]
        if m["metric_name"].startswith("ValueDrift(")
    }
    ours = check_window(project, window).features
    for column in ours.columns:  # the rebuilt reference has the stored marginals exactly
        assert values[column.column] == pytest.approx(column.score, rel=1e-6), column.column
    run = get_version(project.spec.model, window.version, project).run_id
    logged_files = [a.path for a in client(project).list_artifacts(run, files.mlflow_path)]
    assert {p.rsplit("/", 1)[-1] for p in logged_files} == {files.html.name, files.json.name}
