"""What the tasks of an exported Kubeflow pipeline run, in the pipeline's image (or, with
``kfp.local``, in this environment): the pipeline's MLflow run opens and closes, and each
stage runs its notebook in a fresh copy of the project, its upstream stages' outs copied in
from their artifacts, its own outs copied out to its artifact.

The stage runs through the same runner as ``mlmom run`` (papermill, typed parameters, its
MLflow run with metrics and the executed notebook), nested under the pipeline's run.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from ..config import SPEC_FILE
from ..dag import sources_only
from ..errors import StageFailed
from ..project import Project, load_project


def open_run(project_dir: str, tracking_uri: str, name: str) -> str:
    """The pipeline's MLflow run (its stages nest under it): its id."""
    from ..mlflow_clients import client, experiment_id

    project = _with_tracking(load_project(project_dir), tracking_uri)
    mlflow = client(project)
    run = mlflow.create_run(
        experiment_id(project, mlflow),
        run_name=f"kubeflow {name}",
        tags={"mlmom.kind": "pipeline", "mlmom.engine": "kubeflow"},
    )
    return str(run.info.run_id)


def close_run(project_dir: str, tracking_uri: str, run_id: str) -> None:
    from ..mlflow_clients import client

    client(_with_tracking(load_project(project_dir), tracking_uri)).set_terminated(run_id)


def run_stage(
    stage: str,
    project_dir: str,
    tracking_uri: str,
    parent_run: str,
    upstream: dict[str, str],
    outs: str,
) -> None:
    """Run ``stage`` in a fresh copy of the project with the outs of its ``upstream`` stages
    (their artifact folders) in place; copy its outs into ``outs``."""
    from ..pipeline.runner import run_pipeline

    with tempfile.TemporaryDirectory(prefix=f"mlmom-{stage}-") as tmp:
        workdir = _fresh_copy(load_project(project_dir), Path(tmp) / "project", tracking_uri)
        for folder in upstream.values():
            shutil.copytree(folder, workdir, dirs_exist_ok=True)
        project = load_project(workdir)
        result = run_pipeline(project, [stage], start=stage, parent_run_id=parent_run)
        (ran,) = result.stages
        if not ran.ok:  # the task fails, so KFP caches nothing and runs nothing after it
            raise StageFailed(
                ran.error or f"stage {stage!r} failed",
                stage=stage,
                notebook=ran.executed_notebook or "",
                cell=ran.cell,
            )
        _copy_outs(project, stage, Path(outs))


def _fresh_copy(project: Project, dest: Path, tracking_uri: str) -> Path:
    """The project's sources without its state or any stage's outs, on ``tracking_uri``."""
    shutil.copytree(project.root, dest, ignore=sources_only(project))
    spec = yaml.safe_load((dest / SPEC_FILE).read_text())
    spec.setdefault("stores", {})["tracking_uri"] = tracking_uri
    (dest / SPEC_FILE).write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


def _copy_outs(project: Project, stage: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for out in project.spec.stages[stage].outs:
        source, target = project.root / out, dest / out
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def _with_tracking(project: Project, tracking_uri: str) -> Project:
    stores = project.spec.stores.model_copy(update={"tracking_uri": tracking_uri})
    return Project(project.root, project.spec.model_copy(update={"stores": stores}))
