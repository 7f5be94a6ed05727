"""The direct readers give MLflow's own answers: the guarded SQLite read checked against the
MLflow client on the same store (the REST reader is checked on the team's tracking server in
tests/team), and the read commands answer without importing MLflow or pandas."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from mlmom_lab.errors import NotFound
from mlmom_lab.project import load_project
from mlmom_lab.registry.reading import reader_for
from mlmom_lab.registry.reading.client import ClientReader
from mlmom_lab.registry.reading.sqlite import KNOWN_REVISIONS, SQLiteReader

from ..helpers import THROUGH_MLFLOW, mlmom, notebook, read_only_mlmom, spec

NAMES = ("toy-model", 'it\'s "quoted"', "empty")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A local store with what the readers must get right: versions with and without a run,
    tags, a description, aliases, a deleted version, a quote in a model's name, a model with
    no versions and a run's lineage file."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("reading")
    notebook(root / "noop.ipynb", "", "pass")
    spec(root, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(root)
    client = MlflowClient(project.tracking_uri, project.registry_uri)
    experiment = client.create_experiment("toy", artifact_location=(root / "art").as_uri())
    run = client.create_run(experiment)
    (root / "lineage").mkdir()
    (root / "lineage" / "lineage.json").write_text(json.dumps({"stages": {"train": {}}}))
    client.log_artifacts(run.info.run_id, str(root / "lineage"), "lineage")
    for name in NAMES:
        client.create_registered_model(name, tags={"owner": "team"}, description="d")
    for n in range(1, 5):
        client.create_model_version(
            NAMES[0],
            f"runs:/{run.info.run_id}/model",
            run.info.run_id if n % 2 else None,
            tags={"mlmom.metric.roc_auc": str(0.7 + n / 100), "n": str(n)},
            description=f"version {n}" if n == 2 else None,
        )
    client.create_model_version(NAMES[1], f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.delete_model_version(NAMES[0], "3")
    client.set_registered_model_alias(NAMES[0], "champion", "2")
    client.set_registered_model_alias(NAMES[0], "challenger", "4")
    client.set_registered_model_tag(NAMES[0], "mlmom.alias_event.1", '{"x": 1}')
    return project, run.info.run_id


def both(project):
    fast = reader_for(project)
    assert isinstance(fast, SQLiteReader)
    return fast, ClientReader(project)


def test_the_sqlite_read_is_the_clients_answer(store):
    project, run_id = store
    fast, slow = both(project)
    for name in NAMES:
        assert fast.model(name) == slow.model(name)
        by_version = sorted(slow.versions(name), key=lambda r: int(r.version))
        assert sorted(fast.versions(name), key=lambda r: int(r.version)) == by_version
        for record in by_version:
            assert fast.version(name, record.version) == slow.version(name, record.version)
    assert [r.version for r in fast.versions(NAMES[0])] != []
    assert "3" not in {r.version for r in fast.versions(NAMES[0])}  # deleted
    assert fast.run_file(run_id, "lineage/lineage.json") == slow.run_file(
        run_id, "lineage/lineage.json"
    )


def test_what_is_missing_is_said_alike(store):
    project, run_id = store
    fast, slow = both(project)
    for ask in (
        lambda r: r.model("nobody"),
        lambda r: r.version(NAMES[0], "3"),  # deleted
        lambda r: r.version(NAMES[0], "99"),
        lambda r: r.run_file(run_id, "lineage/none.json"),
    ):
        with pytest.raises(NotFound) as fast_error:
            ask(fast)
        with pytest.raises(NotFound) as slow_error:
            ask(slow)
        assert str(fast_error.value) == str(slow_error.value)


def test_the_installed_mlflows_schema_is_known():
    """An MLflow upgrade that moves the schema fails here: check the tables, then add it."""
    from alembic.script import ScriptDirectory
    from mlflow.store.db.utils import _get_alembic_config

    head = ScriptDirectory.from_config(_get_alembic_config("sqlite://")).get_current_head()
    assert head in KNOWN_REVISIONS


def test_an_unknown_schema_is_read_by_mlflow(store, tmp_path):
    project, _ = store
    copy = tmp_path / "p"
    subprocess.run(["cp", "-r", str(project.root), str(copy)], check=True)
    with sqlite3.connect(copy / ".mlmom" / "mlflow.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'from-the-future'")
    assert isinstance(reader_for(load_project(copy)), ClientReader)


@pytest.mark.parametrize(
    "env",
    [
        {"MLFLOW_WORKSPACE": "other"},
        {"MLFLOW_TRACKING_AUTH": "x"},
        {"MLMOM_REGISTRY_READER": "mlflow"},
    ],
)
def test_settings_mlflow_alone_understands_go_to_mlflow(store, monkeypatch, env):
    project, _ = store
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert isinstance(reader_for(project), ClientReader)


@pytest.mark.parametrize(
    "args",
    [
        ("registry", "list", "--json"),
        ("registry", "show", "champion"),
        ("registry", "history", "--json"),
        ("registry", "compare", "1", "champion", "--json"),
    ],
)
def test_read_commands_do_not_import_mlflow(example_run, args):
    project, _ = example_run
    done = read_only_mlmom(*args, cwd=project.root)
    assert done.returncode == 0, done.stderr
    assert "imported: []" in done.stderr
    assert done.stdout == mlmom(*args, cwd=project.root, env=THROUGH_MLFLOW).stdout
