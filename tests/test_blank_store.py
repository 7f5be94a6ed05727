"""A new project's SQLite MLflow store starts as a copy of a blank one (mlmom_lab.blank_store):
it holds what MLflow would have made, MLflow works on it, and whatever is unusual is left to
MLflow."""

from __future__ import annotations

import sqlite3

import pytest

from mlmom_lab import blank_store, user_cache
from mlmom_lab.mlflow_clients import quiet_mlflow


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(user_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # MLflow's default experiment goes under ./mlruns
    quiet_mlflow()


def contents(path) -> tuple[list, dict]:
    """A store's schema and every table's rows, the default experiment's times left out.
    A table's definition is compared line by line in any order: the order alembic writes a
    table's constraints in differs from one process to the next (MLflow's own stores too)."""
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        schema = sorted((kind, name, table, _lines(sql)) for kind, name, table, sql in found)
        tables = [name for kind, name, _, _ in schema if kind == "table"]
        rows = {name: sorted(db.execute(f'SELECT * FROM "{name}"')) for name in tables}
    rows["experiments"] = [r[:4] + r[6:] for r in rows["experiments"]]  # no creation times
    return schema, rows


def _lines(sql: str | None) -> list[str]:
    return sorted(line.strip().rstrip(",") for line in (sql or "").splitlines())


def open_store(path):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}")
    client.search_experiments()
    return client


def test_a_store_made_from_the_blank_is_the_one_mlflow_makes(tmp_path):
    ours, theirs = tmp_path / "ours" / "mlflow.db", tmp_path / "theirs" / "mlflow.db"
    blank_store.prepare(f"sqlite:///{ours}")
    assert ours.is_file() and list((tmp_path / "cache" / "mlflow-stores").glob("*.db"))
    open_store(ours)
    open_store(theirs)  # MLflow's own tables: no blank asked for
    assert contents(ours) == contents(theirs)
    assert [row[1] for row in contents(ours)[1]["experiments"]] == ["Default"]
    assert not list(ours.parent.glob(".tmp-*"))


def test_mlflow_records_and_registers_on_a_store_made_from_the_blank(tmp_path):
    path = tmp_path / "project" / "mlflow.db"
    blank_store.prepare(f"sqlite:///{path}")
    client = open_store(path)
    experiment = client.create_experiment("churn", artifact_location=str(tmp_path / "artifacts"))
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "roc_auc", 0.9)
    client.create_registered_model("churn-classifier")
    version = client.create_model_version("churn-classifier", "runs:/x/model", run.info.run_id)
    client.set_registered_model_alias("churn-classifier", "champion", version.version)
    assert client.get_run(run.info.run_id).data.metrics == {"roc_auc": 0.9}
    assert str(client.get_model_version_by_alias("churn-classifier", "champion").version) == "1"


def test_a_store_that_exists_is_left_alone(tmp_path):
    path = tmp_path / "mlflow.db"
    open_store(path)
    client = open_store(path)
    client.create_experiment("kept")
    before = path.read_bytes()
    blank_store.prepare(f"sqlite:///{path}")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "uri",
    ["postgresql://u:p@127.0.0.1:1/mlflow", "http://127.0.0.1:5000", "sqlite:///{}?mode=rwc"],
)
def test_other_stores_are_left_to_mlflow(tmp_path, uri):
    blank_store.prepare(uri.format(tmp_path / "mlflow.db"))
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "cache").exists()


def test_a_cache_that_cannot_be_written_leaves_the_store_to_mlflow(tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv(user_cache.CACHE_ENV, str(tmp_path / "not-a-folder"))
    path = tmp_path / "project" / "mlflow.db"
    blank_store.prepare(f"sqlite:///{path}")
    assert not path.exists()
    open_store(path)  # MLflow makes it as it always does
    assert contents(path)[1]["alembic_version"]


def test_a_damaged_blank_is_made_again(tmp_path):
    blank_store.prepare(f"sqlite:///{tmp_path / 'first.db'}")
    open_store(tmp_path / "first.db")
    (blank,) = (tmp_path / "cache" / "mlflow-stores").glob("*.db")
    blank.write_bytes(b"not a database")
    path = tmp_path / "second.db"
    blank_store.prepare(f"sqlite:///{path}")
    open_store(path)
    assert contents(path) == contents(tmp_path / "first.db")
