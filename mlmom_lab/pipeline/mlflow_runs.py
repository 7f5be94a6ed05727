"""The pipeline's MLflow runs: one parent run per pipeline run, one child run per stage.

MLflow is imported on first use, from the worker that runs the first stage, so that the
import overlaps the boot of that stage's kernel; a run where every stage is cached never
imports it at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..project import Project

if TYPE_CHECKING:
    from mlflow import MlflowClient


class RunTracker:
    """Creates and closes the MLflow runs of one pipeline run."""

    def __init__(
        self, project: Project, run_id: str, tags: dict[str, str], parent: str | None = None
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.tags = tags
        self._lock = threading.Lock()
        self._client: MlflowClient | None = None
        self._experiment = ""  # set with the client, by _ensure_parent
        # a parent run someone else opened (a Kubeflow pipeline's): used, never closed here
        self.parent_run_id: str | None = parent
        self._owns_parent = parent is None

    def _ensure_parent(self) -> MlflowClient:
        with self._lock:
            if self._client is None:
                from ..mlflow_clients import client, experiment_id

                self._client = client(self.project)
                self._experiment = experiment_id(self.project, self._client)
                if not self._owns_parent:
                    return self._client
                parent = self._client.create_run(
                    self._experiment,
                    run_name=f"pipeline {self.run_id}",
                    tags={"mlmom.run_id": self.run_id, "mlmom.kind": "pipeline", **self.tags},
                )
                self.parent_run_id = parent.info.run_id
        return self._client

    def start_stage(
        self, stage: str, key: dict[str, Any], *, cached_from: dict[str, Any] | None = None
    ) -> str:
        """Create the stage's child run with its parameters; return its MLflow run id."""
        from mlflow.entities import Param

        client = self._ensure_parent()
        tags = {
            "mlflow.parentRunId": self.parent_run_id,
            "mlmom.stage": stage,
            "mlmom.run_id": self.run_id,
            "mlmom.cache_key": key["key"],
            "mlmom.kind": "stage",
        }
        if cached_from:
            tags.update(
                {
                    "mlmom.cached": "true",
                    "mlmom.cached_from_run": cached_from["run_id"],
                    "mlmom.cached_from_mlflow_run": str(cached_from.get("mlflow_run_id")),
                }
            )
        run = client.create_run(self._experiment, run_name=stage, tags=tags)
        params = [
            Param(k, v if isinstance(v, str) else json.dumps(v)) for k, v in key["params"].items()
        ]
        if params:
            client.log_batch(run.info.run_id, params=params)
        if cached_from:
            client.set_terminated(run.info.run_id, "FINISHED")
        run_id: str = run.info.run_id
        return run_id

    def end_stage(
        self,
        mlflow_run_id: str,
        *,
        ok: bool,
        track_log: Path,
        notebook: Path,
        status: str | None = None,
    ) -> None:
        """Log what the notebook recorded and the executed notebook; close the stage's run
        (FINISHED, FAILED, or the ``status`` given: KILLED)."""
        from ..track import replay

        client = self._ensure_parent()
        events = _read_events(track_log)
        try:
            replay(client, mlflow_run_id, events)
        finally:
            if notebook.is_file():
                client.log_artifact(mlflow_run_id, str(notebook), artifact_path="notebook")
            client.set_terminated(mlflow_run_id, status or ("FINISHED" if ok else "FAILED"))

    def finish(self, ok: bool, status: str | None = None) -> None:
        """Close the pipeline's run: FINISHED, FAILED, or the ``status`` given (KILLED)."""
        if self._client is not None and self.parent_run_id and self._owns_parent:
            self._client.set_terminated(
                self.parent_run_id, status or ("FINISHED" if ok else "FAILED")
            )

    @property
    def started(self) -> bool:
        return self._client is not None


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


T = TypeVar("T")


def in_background(func: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``func`` on a thread of its own and return its future (a stage's MLflow run opens
    beside its notebook: MLflow takes over a second to import)."""
    future: Future[T] = Future()

    def work() -> None:
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(exc)

    threading.Thread(target=work, daemon=True).start()
    return future
