"""What a pipeline run reports: per-stage results, the run's result, and the progress hook."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..errors import MlmomError, StageFailed

OK_STATUSES = ("ran", "cached", "restored")


def new_run_id() -> str:
    """A run's id: when it started, and a few random characters."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class StageResult:
    """How one stage ended in a run."""

    stage: str
    status: str  # ran | cached | restored | failed | skipped
    reason: str = ""
    seconds: float = 0.0
    executed_notebook: str | None = None
    error: str | None = None
    cell: int | None = None
    mlflow_run_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


@dataclass
class RunResult:
    """The outcome of one ``mlmom run``."""

    run_id: str
    stages: list[StageResult] = field(default_factory=list)
    mlflow_run_id: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.stages)

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.stage == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "mlflow_run_id": self.mlflow_run_id,
            "seconds": self.seconds,
            "stages": [asdict(s) for s in self.stages],
        }


class Reporter(Protocol):
    """Receives progress; the CLI draws it, the server extension streams it."""

    def start(self, run_id: str, stages: list[str]) -> None: ...
    def update(self, stage: str, status: str, detail: str = "") -> None: ...
    def cells(self, stage: str, done: int, total: int) -> None:
        """A running stage's notebook has executed ``done`` of its ``total`` code cells."""

    def finish(self, result: RunResult) -> None: ...


class Silent:
    def start(self, run_id: str, stages: list[str]) -> None: ...
    def update(self, stage: str, status: str, detail: str = "") -> None: ...
    def cells(self, stage: str, done: int, total: int) -> None: ...
    def finish(self, result: RunResult) -> None: ...


def failure_message(name: str, exc: Exception, *, killed: bool, away: MlmomError | None) -> str:
    """One line on why stage ``name`` failed: cancelled, a store away (its MLflow run could
    not open: the store's line, not MLflow's retry chain), the notebook's error, or else."""
    if killed:
        return f"stage {name!r} was stopped: the run was cancelled"
    if away is not None:
        return f"stage {name!r} did not run: {away.message}"
    if isinstance(exc, StageFailed):  # the cell and its error
        return exc.message
    return f"stage {name!r} failed: {type(exc).__name__}: {exc}"
