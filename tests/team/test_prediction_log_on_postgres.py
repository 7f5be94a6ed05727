"""The prediction log on PostgreSQL: two serving workers write to it in ``safe`` mode, and
PostgreSQL is really stopped under load and started again. Every acknowledged prediction
arrives once, none is answered with a 5xx, and monitoring and explanations read the log."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Self

import pandas as pd
import pytest
import requests
import yaml

from mlmom_lab.serving.launch import start_server

from .. import services
from ..helpers import mlmom, own_copy

pytestmark = pytest.mark.slow

CLIENTS = 8


@pytest.fixture(scope="module")
def postgres():
    """A cluster of this module's own: its test stops it."""
    with services.postgres() as pg:
        yield pg


@pytest.fixture
def served(example_run, postgres, tmp_path):
    """A copy of the example whose log is a new PostgreSQL database, served by 2 workers."""
    project, _ = example_run
    root = own_copy(project, tmp_path / "churn").root
    url = postgres.database("predictions")
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec.setdefault("serving", {})["log"] = {"uri": url, "durability": "safe"}
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    proc, port = start_server(root, "--workers", "2")
    try:
        yield root, port
    finally:
        proc.terminate()
        proc.wait(timeout=60)


class Load:
    """``CLIENTS`` threads posting one row each, as fast as answers come, until stopped:
    each answer's request id, status and time."""

    def __init__(self, port: int, rows: pd.DataFrame) -> None:
        self.url = f"http://127.0.0.1:{port}/invocations"
        self.rows = [json.loads(rows.iloc[[i]].to_json(orient="split", index=False))
                     for i in range(len(rows))]  # fmt: skip
        self.answers: list[tuple[str, int, float]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]

    def client(self, seed: int) -> None:
        session, i = requests.Session(), seed
        while not self.stop.is_set():
            request_id = str(uuid.uuid4())
            body = {"dataframe_split": self.rows[i % len(self.rows)]}
            try:
                status = session.post(
                    self.url, json=body, headers={"x-request-id": request_id}, timeout=60
                ).status_code
            except requests.RequestException:
                status = 0  # no answer at all
            self.answers.append((request_id, status, time.monotonic()))
            i += CLIENTS

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)


def logged_ids(postgres) -> list[str]:
    out = postgres.psql("SELECT request_id FROM predictions", database="predictions")
    return out.split()


def test_an_outage_under_load_loses_no_acknowledged_prediction_and_answers_no_5xx(served, postgres):
    root, port = served
    rows = pd.read_parquet(root / "data" / "test.parquet").drop(columns="churned").head(200)
    with Load(port, rows) as load:
        time.sleep(3)
        postgres.stop("fast")
        down_from = time.monotonic()
        time.sleep(4)
        down_until = time.monotonic()
        postgres.start()
        time.sleep(3)

    statuses = pd.Series([status for _, status, _ in load.answers]).value_counts().to_dict()
    assert statuses == {200: len(load.answers)}, statuses
    during = [rid for rid, _, t in load.answers if down_from < t < down_until]
    assert len(during) > 50, "the outage must have been under load"

    acknowledged = {rid for rid, status, _ in load.answers if status == 200}
    deadline = time.monotonic() + 60  # the writers forward their spool once it answers
    while set(logged_ids(postgres)) != acknowledged and time.monotonic() < deadline:
        time.sleep(0.5)
    logged = logged_ids(postgres)
    assert len(logged) == len(set(logged)), "a prediction was logged twice"
    missing = acknowledged - set(logged)
    assert not missing, f"{len(missing)} acknowledged predictions lost, e.g. {sorted(missing)[:3]}"
    assert set(logged) == acknowledged

    check = mlmom("monitor", "check", "--last", "200", "--json", "--no-explain", cwd=root)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert json.loads(check.stdout)["rows"] == 200
    explained = mlmom("explain", "--request-id", during[0], "--json", cwd=root)
    assert explained.returncode == 0, explained.stdout[-2000:] + explained.stderr[-2000:]


def test_a_person_is_erased_from_a_log_on_postgresql(example_run, postgres, tmp_path):
    """The same erasure as on SQLite (tests/test_erasure.py), on a PostgreSQL log: the
    person's rows and labels go, the other rows keep theirs, the erasure is in the trail."""
    import sqlalchemy as sa

    from mlmom_lab.predictions.feedback import add_feedback
    from mlmom_lab.predictions.log import PredictionLog, salt_for
    from mlmom_lab.project import load_project

    root = own_copy(example_run[0], tmp_path / "churn").root
    url = postgres.database("erasure")
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    personal = {"customer_id": "hash"}
    spec["serving"] = {"log": {"uri": url, "keep": ["customer_id"], "personal_data": personal}}
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(root)
    rows = pd.read_parquet(root / "data" / "test.parquet").drop(columns="churned").head(3)
    log = PredictionLog(url, personal_data=personal, salt=salt_for(project.state_dir))
    log.record(
        request_id="r1", model="churn-classifier", version="1", route="champion",
        columns={**{c: rows[c].tolist() for c in rows}, "customer_id": ["123", "456", "123"]},
        outputs={"predict": [0, 1, 0]}, latency_ms=1.0,
    )  # fmt: skip
    log.close()
    add_feedback(url, [{"request_id": "r1", "row": r, "label": r} for r in range(3)])

    done = mlmom("log", "erase", "--where", "customer_id=123", "-m", "request 9", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "2 rows in 1 requests, 2 labels" in done.stdout
    with sa.create_engine(url).connect() as conn:
        n_rows, inputs = conn.execute(sa.text("SELECT n_rows, inputs FROM predictions")).one()
        labels = conn.execute(sa.text("SELECT row, label FROM feedback")).all()
    assert n_rows == 1 and len(json.loads(inputs)["customer_id"]) == 1
    assert [tuple(label) for label in labels] == [(0, "1")]  # 456's label, moved up
    trail = json.loads(mlmom("audit", "--format", "json", cwd=root, check=True).stdout)
    assert [e["why"] for e in trail if e["kind"] == "erasure"] == ["request 9"]
