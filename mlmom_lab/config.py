"""The project spec: ``mlmom.yaml`` as pydantic models, and nothing else.

A project is a folder holding ``mlmom.yaml``. The spec says the project's name, the registered
model's name, where its stores live (all under ``.mlmom/`` by default) and the pipeline's
stages. Reading the file and checking it against the folder is :mod:`mlmom_lab.project`'s
work; every error names the file and the field, on one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .governance_spec import GateSpec, GovernanceSpec
from .monitoring_spec import MonitoringSpec
from .spec_base import NAME_PATTERN, Strict

SPEC_FILE = "mlmom.yaml"
STATE_DIR = ".mlmom"
_STAGE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class Stores(Strict):
    """Where the project's state lives. Relative paths are relative to the project folder."""

    tracking_uri: str = Field(
        default="sqlite:///.mlmom/mlflow.db",
        description="MLflow tracking URI; a relative sqlite path is resolved in the project.",
    )
    registry_uri: str | None = Field(
        default=None, description="MLflow registry URI; the tracking URI when unset."
    )
    artifact_root: str = Field(
        default=".mlmom/artifacts",
        description="Where new MLflow experiments store artifacts. With a tracking server "
        "(http://...) a relative folder is not used: the server's own artifact store is.",
    )
    experiment: str | None = Field(
        default=None, description="MLflow experiment name; the project name when unset."
    )


class PredictionLogSpec(Strict):
    """Where served predictions are logged, and how hard a crash may hit them."""

    uri: str = Field(
        default="sqlite:///.mlmom/predictions.db",
        description="SQLite URI; a relative path is resolved in the project.",
    )
    durability: Literal["fast", "safe"] = Field(
        default="fast",
        description="fast: written in the background within ~50 ms; "
        "safe: a prediction is answered only once it is on disk.",
    )
    keep: list[str] = Field(
        default_factory=list,
        description="Columns a request may carry that the model does not read (a customer id): "
        "logged with each row (hashed or dropped as personal_data says), never given to the "
        "model; what `mlmom log erase --where` finds a person by.",
    )
    personal_data: dict[str, Literal["hash", "drop"]] = Field(
        default_factory=dict,
        description="Input columns that are personal data: hashed with "
        "a secret salt, or dropped, before they are written.",
    )


class BatchingSpec(Strict):
    """Micro-batching: concurrent small requests for one version share one prediction."""

    max_batch_size: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="Most rows in one prediction; 1 turns micro-batching off.",
    )
    max_wait_ms: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="How long a request may wait for others; 0 batches only what arrives "
        "together, adding no delay.",
    )


class Serving(Strict):
    """How the model is served."""

    log: PredictionLogSpec = Field(default_factory=PredictionLogSpec)
    batching: BatchingSpec = Field(default_factory=BatchingSpec)
    release_timeout: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Seconds a release (canary, shadow, promote, rollback, clear) waits for "
        "every running server worker to serve it before it is reported as not live.",
    )


class Stage(Strict):
    """One pipeline stage: a notebook run with parameters, reading deps and writing outs."""

    notebook: str
    params: dict[str, Any] = Field(default_factory=dict)
    deps: list[str] = Field(default_factory=list)
    outs: list[str] = Field(default_factory=list)
    kernel: str = "python3"
    timeout: float | None = Field(default=None, gt=0, description="Seconds per cell.")

    @field_validator("notebook")
    @classmethod
    def _notebook_inside(cls, path: str) -> str:
        return _normalise(path)

    @field_validator("deps", "outs")
    @classmethod
    def _relative_paths(cls, paths: list[str]) -> list[str]:
        clean = [_normalise(p) for p in paths]
        for path in clean:
            if path == "." or path.split("/")[0] == STATE_DIR:
                raise ValueError(f"{path!r} would include the project itself or its {STATE_DIR}/")
        if len(set(clean)) != len(clean):
            raise ValueError("lists a path twice")
        return clean

    @field_validator("params")
    @classmethod
    def _plain_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        for name, value in params.items():
            if not name.isidentifier():
                raise ValueError(f"{name!r} is not a Python variable name")
            if not _is_plain(value):
                raise ValueError(
                    f"{name}: {value!r} is not a string, number, boolean, list or "
                    "mapping (quote dates and times)"
                )
        return params


def _is_plain(value: Any) -> bool:
    """JSON-like values only: what papermill injects and what hashes the same everywhere."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


class ProjectSpec(Strict):
    """The whole of ``mlmom.yaml``."""

    project: str = Field(pattern=NAME_PATTERN)
    model: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    stores: Stores = Field(default_factory=Stores)
    serving: Serving = Field(default_factory=Serving)
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    gate: GateSpec = Field(default_factory=GateSpec)
    governance: GovernanceSpec = Field(default_factory=GovernanceSpec)
    stages: dict[str, Stage]

    @model_validator(mode="after")
    def _gate_has_its_rows(self) -> ProjectSpec:
        """Comparing with the champion, or across groups, needs rows both are scored on."""
        for rule in ("champion", "fairness"):
            if getattr(self.gate, rule) is not None and self.gate.evaluation is None:
                raise ValueError(f"gate.{rule} needs gate.evaluation (the rows to score on)")
        if self.gate.fairness is not None and not self.governance.groups:
            raise ValueError("gate.fairness needs governance.groups (the columns to split by)")
        return self

    @field_validator("stages")
    @classmethod
    def _stage_names(cls, stages: dict[str, Stage]) -> dict[str, Stage]:
        import re

        if not stages:
            raise ValueError("at least one stage is needed")
        for name in stages:  # no '.': overrides are written STAGE.KEY=VALUE
            if not re.match(_STAGE_PATTERN, name):
                raise ValueError(f"stage name {name!r} must be letters, digits, '_' or '-'")
        return stages


def _normalise(path: str) -> str:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError(f"{path!r} must be a relative path inside the project")
    return p.as_posix().rstrip("/") or "."
