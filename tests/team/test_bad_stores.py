"""A store that is away or refuses us: one line naming it (never its password), a non-zero
exit, and nothing half-written in the project."""

from __future__ import annotations

import pytest
import yaml

from mlmom_lab.serving.launch import free_port

from ..helpers import mlmom, two_stage_project

SECRET = "hunter2"


def point_at(root, **stores) -> None:
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec.setdefault("stores", {}).update(stores.pop("stores", {}))
    spec.update(stores)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "toy"
    two_stage_project(root)
    return root


def test_a_tracking_server_that_is_down_is_one_line_exit_4_and_the_cache_stays_empty(project):
    server = f"http://ada:{SECRET}@127.0.0.1:{free_port()}"  # nothing listens there
    point_at(project, stores={"tracking_uri": server})
    listed = mlmom("registry", "list", cwd=project)
    assert listed.returncode == 4, listed.stderr
    line = listed.stderr.strip()
    assert "\n" not in line and SECRET not in line
    assert f"the tracking server http://ada:***@127.0.0.1:{server.rsplit(':', 1)[1]}" in line
    assert "does not answer" in line

    run = mlmom("run", cwd=project)
    assert run.returncode != 0
    assert "does not answer" in run.stderr and SECRET not in run.stdout + run.stderr
    cache = project / ".mlmom" / "cache"
    assert not [p for p in cache.rglob("*") if p.is_file() and p.name != "stat.json"], "cached"


def test_a_wrong_database_password_for_the_prediction_log_is_one_line(project, team):
    wrong = team.postgres.url.replace(":mlmom-test@", f":{SECRET}@") + "/postgres"
    point_at(project, serving={"log": {"uri": wrong}})
    pruned = mlmom("monitor", "prune", "--older-than", "90d", cwd=project)
    assert pruned.returncode == 4, pruned.stderr
    line = pruned.stderr.strip()
    assert "\n" not in line and SECRET not in line
    assert "prediction log postgresql+psycopg2://postgres:***@127.0.0.1" in line
    assert "password authentication failed" in line


def test_credentials_the_tracking_server_refuses_are_one_line_exit_4(project, team):
    point_at(project, stores={"tracking_uri": team.tracking_uri})
    wrong = {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": SECRET}
    listed = mlmom("registry", "list", cwd=project, env=wrong)
    assert listed.returncode == 4, listed.stderr
    line = listed.stderr.strip()
    assert "\n" not in line and SECRET not in line
    assert f"the tracking server {team.tracking_uri} refused the credentials (401)" in line


def test_an_artifact_store_that_is_away_fails_the_stage_in_one_line_and_caches_nothing(project):
    # a local tracking store with its artifacts in S3, whose endpoint does not answer (no
    # S3 server is needed to show it: nothing listens on the port)
    point_at(project, stores={"artifact_root": "s3://models/mlflow"})
    endpoint = f"http://127.0.0.1:{free_port()}"
    env = {"MLFLOW_S3_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "ada",
           "AWS_SECRET_ACCESS_KEY": SECRET}  # fmt: skip
    run = mlmom("run", cwd=project, env=env)
    assert run.returncode == 1  # a stage failed (documented: 1)
    error = next(line for line in run.stderr.splitlines() if line.startswith("error:"))
    assert "the artifact store does not answer" in error and endpoint in error
    assert SECRET not in run.stderr + run.stdout
    assert not list((project / ".mlmom" / "cache" / "stages").rglob("*.json"))  # nothing cached
