"""MLflow clients pointed at a project's stores (imported lazily: mlflow is slow to import)."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from .project import Project

_lock = threading.Lock()


def quiet_mlflow() -> None:
    """Keep MLflow's start-up chatter (alembic migrations, telemetry) off the user's terminal."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import logging

    for name in ("alembic", "mlflow.store.db.utils", "mlflow.tracking", "mlflow.models",
                 "mlflow.tracking._model_registry.fluent"):
        logging.getLogger(name).setLevel(logging.WARNING)


def client(project: Project) -> MlflowClient:
    """An MLflow client on the project's tracking and registry URIs."""
    quiet_mlflow()
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=project.tracking_uri, registry_uri=project.registry_uri)


def experiment_id(project: Project, mlflow_client: MlflowClient | None = None) -> str:
    """The project's experiment id, created (with the project's artifact root) if missing."""
    mlflow_client = mlflow_client or client(project)
    with _lock:
        found = mlflow_client.get_experiment_by_name(project.experiment)
        if found is not None:
            return found.experiment_id
        return mlflow_client.create_experiment(project.experiment,
                                               artifact_location=project.artifact_root)


def use_project(project: Project) -> str:
    """Point MLflow's fluent API at the project; return its experiment id."""
    quiet_mlflow()
    import mlflow

    mlflow.set_tracking_uri(project.tracking_uri)
    mlflow.set_registry_uri(project.registry_uri)
    exp = experiment_id(project)
    mlflow.set_experiment(experiment_id=exp)
    return exp
