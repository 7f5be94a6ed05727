"""The MLflow client as a :class:`~.Reader`: always right, slow to import."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...mlflow_clients import missing_as
from . import (
    ModelRecord,
    VersionRecord,
    file_missing,
    model_missing,
    name_filter,
    version_missing,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ...project import Project


class ClientReader:
    """Reads through :class:`mlflow.MlflowClient` (created on first use)."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            from ...mlflow_clients import client

            self._client = client(self._project)
        return self._client

    def model(self, name: str) -> ModelRecord:
        with missing_as(model_missing(name)):
            found = self.client.get_registered_model(name)
        aliases = {alias: str(version) for alias, version in (found.aliases or {}).items()}
        return ModelRecord(found.name, aliases, dict(found.tags or {}))

    def versions(self, name: str) -> list[VersionRecord]:
        found = self.client.search_model_versions(name_filter(name), max_results=100_000)
        return [record_of(mv) for mv in found if mv.name == name]  # see name_filter

    def version(self, name: str, number: str) -> VersionRecord:
        with missing_as(version_missing(name, number)):
            return record_of(self.client.get_model_version(name, number))

    def run_file(self, run_id: str, path: str) -> bytes:
        # a store elsewhere (a server, S3) downloads: into a folder that goes with the call
        with tempfile.TemporaryDirectory(prefix="mlmom-artifact-") as folder:
            with missing_as(file_missing(run_id, path)):
                local = self.client.download_artifacts(run_id, path, folder)
            return Path(local).read_bytes()


def record_of(mv: Any) -> VersionRecord:
    """A :class:`VersionRecord` from MLflow's ``ModelVersion``."""
    return VersionRecord(
        name=mv.name,
        version=str(mv.version),
        created=int(mv.creation_timestamp or 0),
        run_id=mv.run_id or None,
        source=mv.source or "",  # MLflow requires one; typed optional
        description=mv.description or "",
        tags=dict(mv.tags or {}),
    )
