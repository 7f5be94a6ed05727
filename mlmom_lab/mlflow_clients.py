"""MLflow clients pointed at a project's stores (imported lazily: mlflow is slow to import)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import blank_store
from .store_errors import RETRY_DEFAULTS

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from .project import Project

_lock = threading.Lock()


def quiet_mlflow() -> None:
    """Keep MLflow's start-up chatter (alembic migrations, telemetry) off the user's terminal."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name, value in RETRY_DEFAULTS.items():
        os.environ.setdefault(name, value)
    import logging

    for name in (
        "alembic",
        "mlflow.store.db.utils",
        "mlflow.tracking",
        "mlflow.models",
        "mlflow.tracking._model_registry.fluent",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)


def client(project: Project) -> MlflowClient:
    """An MLflow client on the project's tracking and registry URIs."""
    quiet_mlflow()
    from mlflow import MlflowClient

    _one_store_at_a_time(project.tracking_uri)
    _prepare_stores(project)
    return MlflowClient(tracking_uri=project.tracking_uri, registry_uri=project.registry_uri)


_last_store: str | None = None


def _prepare_stores(project: Project) -> None:
    """A project's SQLite stores that do not exist yet start blank (``blank_store``)."""
    for uri in {project.tracking_uri, project.registry_uri}:
        blank_store.prepare(uri)


def last_store() -> str | None:
    """The tracking URI this process used last (to name it in an error)."""
    return _last_store


def _one_store_at_a_time(uri: str) -> None:
    """MLflow caches artifact repositories by run id for the whole process. A copied project
    has the same run ids as its original, with artifacts of its own: when this process moves
    to another store, forget that cache, or the copy's artifacts land in the original's."""
    global _last_store
    if uri == _last_store:
        return
    import sys

    utils = sys.modules.get("mlflow.tracking._tracking_service.utils")
    cache = getattr(utils, "_artifact_repos_cache", None)
    if cache is not None:
        cache.clear()
    _last_store = uri


def experiment_id(project: Project, mlflow_client: MlflowClient | None = None) -> str:
    """The project's experiment id, created (with the project's artifact root) if missing."""
    mlflow_client = mlflow_client or client(project)
    with _lock:
        found = mlflow_client.get_experiment_by_name(project.experiment)
        if found is not None:
            return found.experiment_id
        return mlflow_client.create_experiment(
            project.experiment, artifact_location=project.artifact_root
        )


def use_project(project: Project) -> str:
    """Point MLflow's fluent API at the project; return its experiment id."""
    quiet_mlflow()
    import mlflow

    _one_store_at_a_time(project.tracking_uri)
    mlflow.set_tracking_uri(project.tracking_uri)
    mlflow.set_registry_uri(project.registry_uri)
    exp = experiment_id(project)
    mlflow.set_experiment(experiment_id=exp)
    return exp


@contextmanager
def missing_as(error: Exception) -> Iterator[None]:
    """MLflow's "does not exist" (or a missing artifact file) raised as ``error``; any other
    failure (a locked database, a tracking server that is down) passes through as it is, so
    it is never mistaken for something missing."""
    try:
        yield
    except Exception as exc:
        if not _missing(exc):
            raise
        raise error from None


def _missing(exc: Exception) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

    return isinstance(exc, MlflowException) and exc.error_code == ErrorCode.Name(
        RESOURCE_DOES_NOT_EXIST
    )
