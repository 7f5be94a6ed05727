"""What a stage notebook records: metrics, parameters, figures, files and search trials.

The same calls work in both places a notebook runs:

- inside ``mlmom run`` they append to the stage's track log (a JSON-lines file next to the
  executed notebook) and the pipeline logs them to the stage's MLflow run when the notebook
  ends, so the kernel never has to import MLflow just to record a number;
- run by hand, they log straight to MLflow, in the project's experiment (the nearest
  ``mlmom.yaml`` above the working folder, or the folder given to :func:`use_project`), on
  the active MLflow run or a new one that stays open for the notebook's session.

    from mlmom_lab import track
    track.log_metrics({"accuracy": 0.93, "f1": 0.91})
    track.log_figure(fig, "confusion_matrix.png")
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient

CONTEXT_ENV = "MLMOM_STAGE_CONTEXT"
_by_hand_project: str = "."
_by_hand_files: str | None = None


@dataclass(frozen=True)
class StageContext:
    """Where a notebook runs inside a pipeline: its stage, run and lineage so far."""

    stage: str
    run_id: str
    project_root: str
    tracking_uri: str
    registry_uri: str
    experiment: str
    model: str
    mlflow_run_id: str | None
    mlflow_parent_run_id: str | None
    track_log: str
    files_dir: str
    params: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    mlflow_error: str | None = None  # set when the pipeline could not open the run
    who: str = ""  # who started the pipeline run (the Jupyter user for a run from the lab)


def context(*, wait_for_run: bool = False, timeout: float = 300.0) -> StageContext | None:
    """The pipeline context of this notebook, or ``None`` when it is run by hand.

    The pipeline opens the stage's MLflow run while the notebook already runs (so that
    importing MLflow overlaps the notebook's own work); ``wait_for_run`` waits until the
    run id is there, for code that logs to that run directly, such as registering a model.
    """
    path = os.environ.get(CONTEXT_ENV)
    if not path or not Path(path).is_file():
        return None
    deadline = time.monotonic() + timeout
    while True:
        ctx = StageContext(**json.loads(Path(path).read_text()))
        if ctx.mlflow_run_id or not wait_for_run:
            return ctx
        if ctx.mlflow_error:
            raise RuntimeError(
                f"the pipeline could not open this stage's MLflow run: {ctx.mlflow_error}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the pipeline did not open this stage's MLflow run ({path})")
        time.sleep(0.05)


def use_project(folder: str | Path) -> None:
    """Where calls made by hand log to: the project at or above ``folder`` (default: cwd)."""
    global _by_hand_project
    _by_hand_project = str(folder)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record one metric of this stage."""
    log_metrics({key: value}, step=step)


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    """Record several metrics of this stage; values must be finite numbers."""
    clean = {k: _number(k, v) for k, v in metrics.items()}
    _emit({"kind": "metrics", "values": clean, "step": step})


def log_param(key: str, value: Any) -> None:
    log_params({key: value})


def log_params(params: dict[str, Any]) -> None:
    """Record parameters this stage chose (the spec's own parameters are logged already)."""
    _emit({"kind": "params", "values": {k: _text(v) for k, v in params.items()}})


def log_trial(params: dict[str, Any], metrics: dict[str, float]) -> None:
    """Record one hyperparameter-search trial; each becomes a child run of the stage's run."""
    _emit(
        {
            "kind": "trial",
            "params": {k: _text(v) for k, v in params.items()},
            "metrics": {k: _number(k, v) for k, v in metrics.items()},
        }
    )


def log_figure(figure: Any, name: str) -> Path:
    """Save a matplotlib figure as an artifact of this stage; returns the file written."""
    target = _files_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, bbox_inches="tight", dpi=110)
    log_artifact(target)
    return target


def log_artifact(path: str | Path) -> None:
    """Attach a file to this stage's run."""
    _emit({"kind": "artifact", "path": str(Path(path).resolve())})


def _number(key: str, value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metric {key!r} must be a finite number, got {value!r}")
    return number


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _files_dir() -> Path:
    ctx = context()
    if ctx:
        return Path(ctx.files_dir)
    global _by_hand_files
    if _by_hand_files is None:  # one folder per session; MLflow copies the files it is given
        import tempfile

        _by_hand_files = tempfile.mkdtemp(prefix="mlmom-files-")
    return Path(_by_hand_files)


def _emit(event: dict[str, Any]) -> None:
    ctx = context()
    event["time"] = time.time()
    if ctx is not None:
        with open(ctx.track_log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")
        return
    _log_by_hand(event)


def _log_by_hand(event: dict[str, Any]) -> None:
    """Log to MLflow directly: the notebook is being run outside a pipeline."""
    import mlflow

    from .mlflow_clients import use_project as use_mlflow_project
    from .project import load_project

    run = mlflow.active_run()
    if run is None:
        use_mlflow_project(load_project(_by_hand_project))
        run = mlflow.start_run(run_name="by hand", tags={"mlmom.by_hand": "true"})
    replay(mlflow.MlflowClient(), run.info.run_id, [event])


def replay(client: MlflowClient, run_id: str, events: list[dict[str, Any]]) -> None:
    """Log recorded events to an MLflow run (used by the pipeline and by hand)."""
    from mlflow.entities import Metric, Param

    now = int(time.time() * 1000)
    for event in events:
        kind = event["kind"]
        if kind == "metrics":
            metrics = [
                Metric(k, v, now, event.get("step") or 0) for k, v in event["values"].items()
            ]
            client.log_batch(run_id, metrics=metrics)
        elif kind == "params":
            client.log_batch(
                run_id, params=[Param(k, v[:6000]) for k, v in event["values"].items()]
            )
        elif kind == "artifact":
            client.log_artifact(run_id, event["path"])
        elif kind == "trial":
            _log_trial(client, run_id, event, now)


def _log_trial(client: MlflowClient, parent_run_id: str, event: dict[str, Any], now: int) -> None:
    from mlflow.entities import Metric, Param

    parent = client.get_run(parent_run_id)
    child = client.create_run(
        parent.info.experiment_id,
        run_name="trial",
        tags={"mlflow.parentRunId": parent_run_id, "mlmom.trial": "true"},
    )
    client.log_batch(
        child.info.run_id,
        metrics=[Metric(k, v, now, 0) for k, v in event["metrics"].items()],
        params=[Param(k, v[:6000]) for k, v in event["params"].items()],
    )
    client.set_terminated(child.info.run_id, "FINISHED")
