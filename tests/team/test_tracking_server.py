"""The example project on a team's tracking server: MLflow on PostgreSQL, artifacts proxied
to S3, each user logged in with MLflow's basic authentication. Alice runs the pipeline in her checkout; Bob, in his own, sees her versions, moves an
alias, serves the champion from the registry, logs a drift report back and reproduces the
version. Nothing either of them writes lands in a local MLflow store or artifact folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from mlmom_lab.errors import NotFound
from mlmom_lab.project import load_project
from mlmom_lab.registry.reading import reader_for
from mlmom_lab.registry.reading.client import ClientReader
from mlmom_lab.registry.reading.rest import RestReader
from mlmom_lab.serving.launch import free_port, start_server

from ..helpers import THROUGH_MLFLOW, mlmom, read_only_mlmom

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
LOCAL_STATE = ("mlflow.db", "artifacts")  # what a local store would have left in .mlmom/


def checkout(root: Path, tracking_uri: str) -> Path:
    """The example project's sources as a user clones them, pointed at the team's server.
    The example's own ``artifact_root: .mlmom/artifacts`` stays: with a tracking server, a
    project folder must not be where artifacts go. A smaller search than the example's (4
    fits instead of 18): the team's stores are tested here, not the model."""
    shutil.copytree(
        REPO / "notebooks",
        root,
        ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports", "__pycache__"),
    )
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["stores"]["tracking_uri"] = tracking_uri
    spec["stages"]["train"]["params"].update(n_iter=2, cv=2)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def as_user(team):
    """``mlmom ARGS`` as a user: logged in to the tracking server as them (the identity the
    alias history records)."""
    return lambda user, *args, cwd: mlmom(*args, cwd=cwd, env=team.credentials(user))


@pytest.fixture(scope="module")
def alice(team, as_user, tmp_path_factory):
    """Alice's checkout, its pipeline run against the team's server (its register stage
    makes version 1 the champion)."""
    root = checkout(tmp_path_factory.mktemp("alice") / "churn", team.tracking_uri)
    result = as_user("alice", "run", cwd=root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def bob(team, alice, tmp_path_factory):
    return checkout(tmp_path_factory.mktemp("bob") / "churn", team.tracking_uri)


def test_the_run_keeps_its_artifacts_on_the_server_and_a_rerun_is_cached(team, alice, as_user):
    left = [name for name in LOCAL_STATE if (alice / ".mlmom" / name).exists()]
    assert not left, f"written locally although a tracking server is configured: {left}"
    keys = team.s3.keys(team.bucket)
    for artifact in ("onnx/model.onnx", "lineage/lineage.json", "MLmodel"):
        assert any(k.endswith(artifact) for k in keys), (artifact, keys[:20])

    again = as_user("alice", "run", "--json", cwd=alice)
    assert again.returncode == 0, again.stderr[-2000:]
    stages = json.loads(again.stdout)["stages"]
    assert {s["stage"]: s["status"] for s in stages} == dict.fromkeys(
        ("prepare", "train", "evaluate", "register"), "cached"
    )


def test_another_checkout_sees_the_versions_and_the_history_names_who_moved_what(bob, as_user):
    listed = as_user("bob", "registry", "list", "--json", cwd=bob)
    assert listed.returncode == 0, listed.stderr[-2000:]
    versions = json.loads(listed.stdout)
    assert [v["version"] for v in versions] == ["1"] and "champion" in versions[0]["aliases"]

    moved = as_user(
        "bob", "registry", "promote", "1", "--alias", "challenger", "-m", "a second look", cwd=bob
    )
    assert moved.returncode == 0, moved.stderr[-2000:]
    history = json.loads(as_user("bob", "registry", "history", "--json", cwd=bob).stdout)
    moves = [(e["alias"], e["to_version"], e["who"]) for e in history]
    assert ("champion", "1", "alice") in moves  # her register stage, in her checkout
    assert moves[-1] == ("challenger", "1", "bob")
    assert {who for *_, who in moves} == {"alice", "bob"}


def test_bob_serves_the_champion_from_the_registry_and_logs_a_report_back(
    team, alice, bob, as_user, tmp_path
):
    rows = pd.read_parquet(alice / "data" / "test.parquet").drop(columns="churned").head(300)
    temp = tmp_path / "temp"  # the server's temporary folder
    temp.mkdir()
    proc, port = start_server(bob, env={**team.credentials("bob"), "TMPDIR": str(temp)})
    try:
        for start in range(0, len(rows), 50):
            batch = rows.iloc[start : start + 50]
            answer = requests.post(
                f"http://127.0.0.1:{port}/invocations",
                json={"dataframe_split": json.loads(batch.to_json(orient="split", index=False))},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            assert len(answer.json()["predictions"]) == len(batch)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    # the model and its twin came from the artifact store (S3): no copy is left behind
    copies = [p for p in temp.rglob("*") if p.name == "MLmodel" or p.suffix == ".onnx"]
    assert not copies, copies

    report = as_user("bob", "monitor", "report", "--last", "300", cwd=bob)
    assert report.returncode == 0, report.stdout[-2000:] + report.stderr[-2000:]
    logged = [k for k in team.s3.keys(team.bucket) if "/monitoring/reports/" in k]
    assert {Path(k).suffix for k in logged} == {".html", ".json"}, logged
    assert not any((bob / ".mlmom" / name).exists() for name in LOCAL_STATE)


def test_bob_reproduces_alices_version_from_its_lineage_on_the_server(bob, as_user, tmp_path):
    result = as_user(
        "bob", "reproduce", "1", "--workdir", str(tmp_path / "again"), "--json", cwd=bob
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert json.loads(result.stdout)["ok"] is True


def test_the_rest_read_is_the_clients_answer(team, alice, bob, monkeypatch):
    """Bob's read commands go through MLflow's REST API, not the MLflow client: same records,
    same lineage file through the artifact proxy, same missing-thing errors."""
    for key, value in team.credentials("bob").items():
        monkeypatch.setenv(key, value)
    project = load_project(bob)
    fast, slow = reader_for(project), ClientReader(project)
    assert isinstance(fast, RestReader)
    model = project.spec.model
    assert fast.model(model) == slow.model(model)
    records = fast.versions(model)
    assert records == slow.versions(model) and records
    run_id = records[0].run_id
    assert run_id is not None
    assert fast.version(model, "1") == slow.version(model, "1")
    lineage = fast.run_file(run_id, "lineage/lineage.json")
    assert lineage == slow.run_file(run_id, "lineage/lineage.json")
    assert json.loads(lineage)["stages"]
    for ask in (lambda r: r.model("nobody"), lambda r: r.version(model, "99")):
        with pytest.raises(NotFound) as fast_error:
            ask(fast)
        with pytest.raises(NotFound) as slow_error:
            ask(slow)
        assert str(fast_error.value) == str(slow_error.value)


def test_read_commands_on_the_server_do_not_import_mlflow(team, bob):
    env = team.credentials("bob")
    for args in (("registry", "list", "--json"), ("registry", "history", "--json")):
        done = read_only_mlmom(*args, cwd=bob, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "imported: []" in done.stderr
        assert done.stdout == mlmom(*args, cwd=bob, env={**env, **THROUGH_MLFLOW}).stdout


def test_a_refused_or_silent_server_is_one_line_and_exit_4(team, bob, tmp_path):
    wrong = {**team.credentials("bob"), "MLFLOW_TRACKING_PASSWORD": "not-bobs"}
    refused = read_only_mlmom("registry", "list", cwd=bob, env=wrong)
    assert refused.returncode == 4, refused.stderr
    assert "refused the credentials (401)" in refused.stderr
    silent = checkout(tmp_path / "churn", f"http://127.0.0.1:{free_port()}")
    down = read_only_mlmom("registry", "list", cwd=silent, env=team.credentials("bob"))
    assert down.returncode == 4, down.stderr
    assert "does not answer" in down.stderr and "imported: []" in down.stderr
