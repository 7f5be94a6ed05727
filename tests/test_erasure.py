"""Erasing a person: served with their customer id kept (hashed) in the log, mirrored to
Parquet, in a stored drift report; after `mlmom log erase` no store, export, report or
window shows them, the audit trail says it happened without the value, and monitoring goes on
with the other rows. Bad filters change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import urllib.request

import pandas as pd
import pytest
import yaml

from mlmom_lab.monitoring.windows import load_window
from mlmom_lab.predictions.log import salt_for
from mlmom_lab.project import load_project

from .helpers import mlmom, own_copy, start_server

SUBJECT = "123"


@pytest.fixture(scope="module")
def served(example_run, tmp_path_factory):
    """A copy of the example that keeps customer_id (hashed) and drops payment_method from
    its log, served two requests with the subject in three of their five rows, labelled,
    mirrored to Parquet and reported on by Evidently."""
    root = tmp_path_factory.mktemp("erasure") / "churn"
    project = own_copy(example_run[0], root)
    raw = yaml.safe_load(project.spec_path.read_text())
    raw["serving"] = {"log": {"keep": ["customer_id"], "personal_data": {"customer_id": "hash"}}}
    project.spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    project = load_project(root)
    rows = pd.read_parquet(root / "data" / "test.parquet").drop(columns="churned").head(5)
    ids = [[SUBJECT, "456", SUBJECT], ["789", SUBJECT]]
    proc, port = start_server(root)
    try:
        answered = [
            _invoke(port, rows.iloc[:3].assign(customer_id=ids[0])),
            _invoke(port, rows.iloc[3:].assign(customer_id=ids[1])),
        ]
        labels = [
            {"request_id": rid, "row": row, "label": row % 2}
            for rid, n in zip(answered, (3, 2), strict=True)
            for row in range(n)
        ]
        _post(port, "/feedback", {"labels": labels})
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    mlmom("monitor", "mirror", "--lag", "0", cwd=root, check=True)
    mlmom("monitor", "report", "--last", "100", cwd=root, check=True)
    return project, answered


def _invoke(port: int, frame: pd.DataFrame) -> str:
    body = {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers["x-request-id"]


def _post(port: int, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def hashed(project, value: str) -> str:
    return hmac.new(salt_for(project.state_dir), value.encode(), hashlib.sha256).hexdigest()[:32]


def logged(project) -> tuple[list, list]:
    db = sqlite3.connect(project.root / ".mlmom" / "predictions.db")
    try:
        predictions = db.execute("SELECT request_id, n_rows, inputs FROM predictions").fetchall()
        feedback = db.execute("SELECT request_id, row, label FROM feedback").fetchall()
    finally:
        db.close()
    return predictions, sorted(feedback)


def everything_under(folder) -> str:
    """Every byte of every file under ``folder`` (Parquet, reports, MLflow artifacts), as text,
    and every Parquet file's values decoded: its compression may store a string in pieces (a
    hashed id with "ddddd" in it is a run, not those bytes)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    raw = "".join(p.read_bytes().decode("latin-1") for p in files)
    return raw + "".join(pd.read_parquet(p).to_csv() for p in files if p.suffix == ".parquet")


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("age_band=1", "the prediction log keeps no column 'age_band'"),
        ("customer_id", "write COLUMN=VALUE"),
    ],
)
def test_a_bad_filter_is_one_line_and_changes_nothing(served, where, said):
    project, _ = served
    before = logged(project)
    done = mlmom("log", "erase", "--where", where, "-m", "request 7", cwd=project.root)
    assert done.returncode == 1, done.stderr
    assert said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert logged(project) == before


def test_a_column_the_log_drops_cannot_be_erased_by(served, tmp_path):
    project, _ = served
    raw = yaml.safe_load(project.spec_path.read_text())
    raw["serving"]["log"]["personal_data"]["payment_method"] = "drop"
    copy = own_copy(project, tmp_path / "churn", keep_log=True)
    copy.spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    done = mlmom("log", "erase", "--where", "payment_method=card", "-m", "x", cwd=copy.root)
    assert done.returncode == 1 and "drops 'payment_method'" in done.stderr, done.stderr


def test_after_erasure_no_store_shows_the_subject_and_monitoring_goes_on(served):
    project, (first, second) = served
    subject = hashed(project, SUBJECT)
    stores = project.root / ".mlmom"
    assert subject in everything_under(stores / "mirror")  # it was there to erase
    assert list((stores / "reports").glob("drift-*.html"))
    dry = mlmom(
        "log",
        "erase",
        "--where",
        f"customer_id={SUBJECT}",
        "-m",
        "x",
        "--dry-run",
        cwd=project.root,
        check=True,
    )
    assert (
        "would erase rows where customer_id matched: 3 rows in 2 requests, 3 labels" in dry.stdout
    )

    done = mlmom(
        "log",
        "erase",
        "--where",
        f"customer_id={SUBJECT}",
        "-m",
        "GDPR art. 17 #42",
        cwd=project.root,
        check=True,
    )
    assert "erased rows where customer_id matched: 3 rows in 2 requests, 3 labels" in done.stdout
    predictions, feedback = logged(project)
    kept = {rid: (n, json.loads(inputs)["customer_id"]) for rid, n, inputs in predictions}
    assert kept == {first: (1, [hashed(project, "456")]), second: (1, [hashed(project, "789")])}
    # the labels of the rows left moved up with them: 456 was row 1, 789 row 0
    assert feedback == [(first, 0, "1"), (second, 0, "0")]
    for folder in ("mirror", "reports", "artifacts"):
        assert subject not in everything_under(stores / folder), folder
    assert not list((stores / "reports").glob("drift-*"))
    assert "deleted report mlflow run" in done.stdout
    window = load_window(project, last=100)
    assert window.rows == 2 and subject not in window.frame["customer_id"].tolist()

    trail = json.loads(mlmom("audit", "--format", "json", cwd=project.root, check=True).stdout)
    erasure = next(e for e in trail if e["kind"] == "erasure")
    assert erasure["why"] == "GDPR art. 17 #42" and "3 rows in 2 requests" in erasure["what"]
    assert SUBJECT not in json.dumps(erasure) and subject not in json.dumps(trail)
    check = mlmom("monitor", "check", "--last", "100", "--no-explain", cwd=project.root)
    assert check.returncode == 0, check.stderr
