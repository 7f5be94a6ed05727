"""`mlmom export kfp`: the project's DAG compiled to a Kubeflow Pipelines v2 pipeline, then run
for real by KFP's own local runner (``kfp.local.SubprocessRunner``): the compiled YAML loaded
back as a pipeline, each stage a task that runs its notebook, the outs handed on as KFP
artifacts, the stages' MLflow runs under the pipeline's on the team's tracking server (MLflow
on PostgreSQL, see tests/conftest.py), and a second run served from KFP's cache."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from ..helpers import mlmom

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(team, tmp_path_factory):
    """A new project (``mlmom init``: prepare, then train, which registers the model),
    compiled for the team's tracking server (tests/team: MLflow on PostgreSQL)."""
    base = tmp_path_factory.mktemp("kfp")
    mlmom("init", str(base / "proj"), cwd=base, check=True)
    out = mlmom("export", "kfp", "-o", str(base / "pipeline.yaml"), "--tracking-uri",
                team.tracking_uri, cwd=base / "proj", check=True)  # fmt: skip
    assert "wrote" in out.stdout and "2 stages" in out.stdout
    # the module's MLflow calls and the tasks (kfp.local runs them with this process's
    # environment) are alice's, logged in to the team's server; a registry URI left in the
    # environment (as ``mlflow.set_registry_uri`` leaves it) must not divert the tasks
    stray = {"MLFLOW_REGISTRY_URI": f"sqlite:///{base / 'elsewhere.db'}"}
    with credentials({**team.credentials("alice"), **stray}):
        yield base, base / "proj", base / "pipeline.yaml", team.tracking_uri


@pytest.fixture(scope="module")
def ran(exported):
    """The compiled pipeline run twice by kfp.local: the project's MLflow runs after each."""
    from kfp import components, local

    base, project, compiled, server = exported
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(base / "root"),
        enable_caching=True,
        cache_root=str(base / "cache"),
    )
    pipeline = components.load_component_from_file(str(compiled))
    pipeline(project_dir=str(project))
    after_first = runs(server)
    pipeline(project_dir=str(project))
    return after_first, runs(server)


@contextlib.contextmanager
def credentials(env: dict[str, str]):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def on(server: str):
    """A client on the team's server for both tracking and registry: without the registry
    URI, MLflow takes the one an earlier test in this process set (``mlflow.set_registry_uri``
    is global and also exported to the environment)."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server, registry_uri=server)


def runs(server: str) -> list:
    """The runs of the project's experiment (``proj``, from ``mlmom init proj``)."""
    experiment = on(server).get_experiment_by_name("proj")
    return on(server).search_runs([experiment.experiment_id], max_results=1000)


def versions(server: str) -> list:
    return on(server).search_model_versions("name = 'proj-model'")


def test_the_ir_names_one_task_per_stage_with_the_outs_as_artifacts(exported):
    _, _, compiled, _ = exported
    ir = yaml.safe_load(compiled.read_text())
    tasks = ir["root"]["dag"]["tasks"]
    assert set(tasks) == {"open-run", "stage-prepare", "stage-train", "close-run"}
    train = tasks["stage-train"]
    upstream = train["inputs"]["artifacts"]["prepare"]["taskOutputArtifact"]
    assert upstream == {"outputArtifactKey": "outs", "producerTask": "stage-prepare"}
    assert train["cachingOptions"]["enableCache"] is True and train["cachingOptions"]["cacheKey"]
    assert "cacheKey" not in tasks["open-run"].get("cachingOptions", {})


def test_each_stage_ran_its_notebook_and_handed_its_outs_on(exported, ran):
    base, project, _, _ = exported
    (artifact,) = (base / "root").glob("*/stage-prepare/outs/data")  # the first run's only
    assert {p.name for p in artifact.iterdir()} == {"train.parquet", "test.parquet"}
    assert not (project / "data").exists()  # tasks work in copies, never in the project


def test_the_stages_mlflow_runs_nest_under_the_pipelines_and_the_model_is_registered(
    exported, ran, tmp_path
):
    _, _, _, store = exported
    after_first, _ = ran
    pipelines = [r for r in after_first if r.data.tags.get("mlmom.engine") == "kubeflow"]
    stages = [r for r in after_first if r.data.tags.get("mlmom.kind") == "stage"]
    assert len(pipelines) == 1 and pipelines[0].info.status == "FINISHED"
    assert sorted(r.data.tags["mlmom.stage"] for r in stages) == ["prepare", "train"]
    assert {r.data.tags["mlflow.parentRunId"] for r in stages} == {pipelines[0].info.run_id}
    assert all(r.info.status == "FINISHED" for r in stages)
    registered = versions(store)
    assert [str(v.version) for v in registered] == ["1"]
    lineage = json.loads(Path(on(store).download_artifacts(
        registered[0].run_id, "lineage/lineage.json", str(tmp_path))).read_text())  # fmt: skip
    assert lineage["mlflow_parent_run_id"] == pipelines[0].info.run_id
    assert "data/train.parquet" in json.dumps(lineage)  # what it was trained on, by hash


def test_a_second_run_is_served_from_kfps_cache(exported, ran):
    _, _, _, store = exported
    _, after_second = ran
    stage_runs = [r for r in after_second if r.data.tags.get("mlmom.kind") == "stage"]
    assert len(stage_runs) == 2, "a stage ran again instead of coming from KFP's cache"
    pipelines = [r for r in after_second if r.data.tags.get("mlmom.engine") == "kubeflow"]
    assert len(pipelines) == 2  # each run is an MLflow run of its own
    assert len(versions(store)) == 1


def test_a_project_whose_tracking_store_is_its_own_file_is_refused_in_one_line(tmp_path):
    mlmom("init", str(tmp_path / "p"), cwd=tmp_path, check=True)
    refused = mlmom("export", "kfp", cwd=tmp_path / "p")
    assert refused.returncode == 1
    line = refused.stderr.strip()
    assert "\n" not in line and "is a file on this machine" in line
    assert not (tmp_path / "p" / "pipeline.yaml").exists()


def test_the_pipeline_image_holds_the_sources_mlmom_and_kfp_and_no_state(tmp_path):
    from dockerfile_parse import DockerfileParser

    project = tmp_path / "proj"
    mlmom("init", str(project), cwd=tmp_path, check=True)
    (project / "data").mkdir()
    (project / "data" / "train.parquet").write_bytes(b"an out: never in the image")
    made = mlmom("build-docker", "--pipeline", "-o", str(tmp_path / "ctx"), cwd=project)
    assert made.returncode == 0, made.stderr
    assert "mlmom export kfp --image" in made.stdout
    parsed = DockerfileParser(path=str(tmp_path / "ctx" / "Dockerfile"))
    steps = [(i["instruction"], i["value"]) for i in parsed.structure]
    assert parsed.baseimage == f"python:{sys.version_info.major}.{sys.version_info.minor}-slim"
    run = next(v for k, v in steps if k == "RUN" and "pip install" in v)
    assert "[cpu,boosting,kubeflow]" in run and "ipykernel install" in run
    assert ("COPY", "project/ /project/") in steps and ("WORKDIR", "/project") in steps
    copied = {p.relative_to(tmp_path / "ctx" / "project").as_posix()
              for p in (tmp_path / "ctx" / "project").rglob("*")}  # fmt: skip
    assert {"mlmom.yaml", "prepare.ipynb", "train.ipynb"} <= copied
    assert not any(p.startswith((".mlmom", "data/train.parquet")) for p in copied)
