"""`mlmom audit`: one ordered view of what happened to the example's model, read back by a
fresh process from the stores where each event lives, without importing MLflow."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from mlmom_lab import release
from mlmom_lab.monitoring import loop_state
from mlmom_lab.monitoring.alerts import Alert, record
from mlmom_lab.registry import approvals

from .helpers import mlmom, own_copy, read_only_mlmom


@pytest.fixture
def project(example_run, tmp_path):
    """The example after a day of governance: approved by bob, a shadow by carol, a drift
    alert, a retraining step."""
    project = own_copy(example_run[0], tmp_path / "churn")
    approvals.approve("1", "card read, gate passed", project=project, who="bob")
    release.shadow(project, "1", reason="listen first", who="carol")
    record(
        project.prediction_log_uri,
        [
            Alert(
                "charges-drift",
                "feature_drift",
                time.time(),
                "churn-classifier",
                "1",
                0.3,
                0.1,
                500,
                "monthly_charges drifted",
            )
        ],
    )
    loop_state.save(
        project,
        {
            "state": "idle",
            "history": [
                {
                    "ts": time.time(),
                    "state": "idle",
                    "message": "not retrained: only 3 labelled rows",
                }
            ],
        },
    )
    return project


def test_the_trail_is_whole_and_ordered_in_a_fresh_process_without_mlflow(project):
    done = read_only_mlmom("audit", "--format", "json", cwd=project.root)
    assert done.returncode == 0, done.stderr
    assert "imported: []" in done.stderr  # no mlflow, pandas or SQLAlchemy for a read
    trail = json.loads(done.stdout)
    assert [e["when"] for e in trail] == sorted(e["when"] for e in trail)
    kinds = [e["kind"] for e in trail]
    assert kinds[:5] == ["registration", "alias", "gate", "alias", "alias"]  # the register stage
    by_kind = {e["kind"]: e for e in trail}
    assert (
        by_kind["approval"]["who"] == "bob"
        and by_kind["approval"]["why"] == "card read, gate passed"
    )
    shadow = [e for e in trail if e["kind"] == "deployment" and "shadow v1" in e["what"]]
    assert shadow and shadow[0]["who"] == "carol" and shadow[0]["why"] == "listen first"
    assert by_kind["alert"]["what"] == "alert charges-drift fired"
    assert by_kind["retraining"]["why"] == "not retrained: only 3 labelled rows"
    assert by_kind["gate"]["what"] == "quality gate passed for version 1"


def test_since_and_csv(project):
    recent = mlmom("audit", "--since", "1h", "--format", "csv", cwd=project.root, check=True)
    rows = list(csv.DictReader(io.StringIO(recent.stdout)))
    assert rows and set(rows[0]) == {"when", "kind", "who", "what", "why", "version"}
    future = mlmom("audit", "--since", "0s", cwd=project.root, check=True)
    assert future.stdout.strip() == "nothing recorded yet"
    bad = mlmom("audit", "--since", "yesterday", cwd=project.root)
    assert bad.returncode == 2 and "'yesterday': write a duration like 30d" in bad.stderr


def test_every_retraining_step_stays_in_the_trail_beyond_the_loops_file(project):
    from mlmom_lab.monitoring.loop_state import KEPT, state

    now = time.time()
    for i in range(KEPT + 5):  # more steps than loop.json keeps
        current = state(project)
        step = {"ts": now + i, "state": "idle", "message": f"step {i}"}
        history = [*current["history"], step][-KEPT:]
        loop_state.save(project, {**current, "history": history})
    trail = json.loads(mlmom("audit", "--format", "json", cwd=project.root, check=True).stdout)
    steps = [e["why"] for e in trail if e["kind"] == "retraining"]
    assert len(state(project)["history"]) == KEPT
    assert steps[0] == "not retrained: only 3 labelled rows" and steps[-1] == f"step {KEPT + 4}"
    assert len(steps) == KEPT + 6
