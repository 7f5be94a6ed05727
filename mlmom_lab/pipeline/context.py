"""What a stage's kernel reads while it runs: its context file (``MLMOM_STAGE_CONTEXT``) with
the stage's parameters, MLflow run and lineage from data and code to this stage.

A part of :class:`~mlmom_lab.pipeline.runner.PipelineRun`, kept apart so the runner reads as
the schedule it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from .. import dag
from ..files import write_json
from ..project import Project
from . import lineage
from .cache import StageCache, StageKey
from .mlflow_runs import RunTracker
from .results import StageResult


class StageContexts:
    """The context files of one pipeline run's stages (a mixin of the run)."""

    project: Project
    run_id: str
    run_dir: Path
    who: str  # who started the run
    params: dict[str, dict[str, Any]]
    graph: dict[str, set[str]]
    cache: StageCache
    records: dict[str, dict[str, Any]]
    results: dict[str, StageResult]
    tracker: RunTracker
    env: dict[str, Any]
    _git: dict[str, Any] | None | Literal[False]  # False until asked (see _git_info)

    def _context_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.context.json"

    def _track_log(self, name: str) -> Path:
        return self.run_dir / f"{name}.track.jsonl"

    def _write_context(
        self, name: str, key: StageKey, mlflow_run_id: str | None, error: str | None = None
    ) -> None:
        project = self.project
        context = {
            "stage": name,
            "run_id": self.run_id,
            "project_root": str(project.root),
            "tracking_uri": project.tracking_uri,
            "registry_uri": project.registry_uri,
            "experiment": project.experiment,
            "model": project.spec.model,
            "mlflow_run_id": mlflow_run_id,
            "mlflow_parent_run_id": self.tracker.parent_run_id,
            "track_log": str(self._track_log(name)),
            "files_dir": str(self.run_dir / f"{name}.files"),
            "params": self.params[name],
            "lineage": self._lineage(name, key, mlflow_run_id),
            "mlflow_error": error,
            "who": self.who,
        }
        write_json(self._context_path(name), context)  # atomic: the notebook may read it any time

    def _open_run(self, name: str, key: StageKey) -> str:
        """Create the stage's MLflow run and hand its id to the notebook through the context."""
        try:
            mlflow_run_id = self.tracker.start_stage(name, key.as_dict())
        except Exception as exc:  # the notebook must not wait for a run that will never come
            self._write_context(name, key, None, error=f"{type(exc).__name__}: {exc}")
            raise
        self._write_context(name, key, mlflow_run_id)
        return mlflow_run_id

    def _lineage(self, name: str, key: StageKey, mlflow_run_id: str | None) -> dict[str, Any]:
        needed = dag.ancestors(self.graph, {name}) - {name}
        upstream = {}
        for up in (s for s in dag.order(self.project) if s in needed):
            record = self.records.get(up) or self.cache.latest(up)
            if record:
                status = self.results[up].status if up in self.results else "earlier run"
                upstream[up] = lineage.from_record(
                    record, self.project.spec.stages[up].notebook, status
                )
        this = lineage.stage_entry(
            key.as_dict(),
            status="running",
            run_id=self.run_id,
            mlflow_run_id=mlflow_run_id,
            executed_notebook=str(self.run_dir / f"{name}.ipynb"),
            notebook=self.project.spec.stages[name].notebook,
        )
        return lineage.build(
            self.project,
            run_id=self.run_id,
            mlflow_parent_run_id=self.tracker.parent_run_id,
            git=self._git_info(),
            env=self.env,
            stages={**upstream, name: this},
        )

    def _git_info(self) -> dict[str, Any] | None:
        if self._git is False:
            self._git = lineage.git_info(self.project.root)
        return self._git
