"""The project spec: ``mlmom.yaml`` as pydantic models, and nothing else.

A project is a folder holding ``mlmom.yaml``. The spec says the project's name, the registered
model's name, where its stores live (all under ``.mlmom/`` by default) and the pipeline's
stages. Reading the file and checking it against the folder is :mod:`mlmom_lab.project`'s
work; every error names the file and the field, on one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SPEC_FILE = "mlmom.yaml"
STATE_DIR = ".mlmom"
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_STAGE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stores(_Strict):
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


class PredictionLogSpec(_Strict):
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
    personal_data: dict[str, Literal["hash", "drop"]] = Field(
        default_factory=dict,
        description="Input columns that are personal data: hashed with "
        "a secret salt, or dropped, before they are written.",
    )


class BatchingSpec(_Strict):
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


class Serving(_Strict):
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


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1d`` in seconds (ValueError for anything else)."""
    if text[-1:] not in DURATION_UNITS:
        raise ValueError(f"{text!r} is not a duration")
    return float(text[:-1]) * DURATION_UNITS[text[-1]]


DRIFT_METHODS = (
    "ks",
    "chisquare",
    "z",
    "wasserstein",
    "jensenshannon",
    "psi",
    "kl_div",
    "hellinger",
)
ALERT_FIELDS = {
    "dataset_drift": (),
    "feature_drift": ("feature",),
    "performance_drop": ("metric", "max_drop"),
    "latency_p99": ("max_ms",),
    "error_rate": ("max_rate",),
}
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse")


class AlertRule(_Strict):
    """One alert: what it watches, its limit, the samples it needs, and its cool-down."""

    name: str = Field(pattern=_NAME_PATTERN)
    kind: Literal["dataset_drift", "feature_drift", "performance_drop", "latency_p99", "error_rate"]
    feature: str | None = Field(default=None, description="feature_drift: the column.")
    metric: Literal[METRICS] | None = Field(  # type: ignore[valid-type]
        default=None, description="performance_drop: the metric that may not fall."
    )
    max_drop: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "performance_drop: the largest allowed fall below the registered baseline (for mae "
            "and rmse, rise above it)."
        ),
    )
    use_estimate: bool = Field(
        default=True,
        description=("performance_drop: with too few labels, judge the estimated metric instead."),
    )
    max_ms: float | None = Field(default=None, gt=0, description="latency_p99: milliseconds.")
    max_rate: float | None = Field(
        default=None, gt=0, le=1, description="error_rate: the largest share of failed requests."
    )
    min_samples: int = Field(default=100, ge=1, description="Rows (or labels) needed to judge.")
    cooldown: str = Field(
        default="30m",
        pattern=r"^\d+(\.\d+)?[smhd]$",
        description="Quiet time after firing: 90s, 30m, 2h, 1d.",
    )

    @model_validator(mode="after")
    def _fields_of_kind(self) -> AlertRule:
        needed = ALERT_FIELDS[self.kind]
        for name in needed:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind} alert needs '{name}'")
        for name in ("feature", "metric", "max_drop", "max_ms", "max_rate"):
            if name not in needed and getattr(self, name) is not None:
                raise ValueError(f"'{name}' does not apply to a {self.kind} alert")
        return self

    @property
    def cooldown_seconds(self) -> float:
        return duration_seconds(self.cooldown)


class RetrainPolicy(_Strict):
    """What fired alerts do: retrain, release the result as a canary, promote or roll back."""

    on: list[str] = Field(default_factory=list, description="Alert names that start the loop.")
    every: str | None = Field(
        default=None,
        pattern=r"^\d+(\.\d+)?[smhd]$",
        description=("Also start it on a schedule: this long after the last retraining (e.g. 7d)."),
    )
    strategy: Literal["retrain", "incremental"] = Field(
        default="retrain",
        description=(
            "retrain: run the pipeline on recent data; incremental: partial_fit the champion on "
            "the labelled feedback."
        ),
    )
    target_column: str = Field(
        default="target", description="retrain: the label's column name in the data."
    )
    recent_param: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z_][A-Za-z0-9_]*$",
        description=("retrain: STAGE.PARAM that receives the path of the recent labelled rows."),
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "More STAGE.PARAM overrides for the retraining run, e.g. register.auto_champion: false."
        ),
    )
    recent_rows: int = Field(default=2000, ge=10, description="Labelled rows exported.")
    epochs: int = Field(
        default=5,
        ge=1,
        le=1000,
        description=(
            "incremental: passes of partial_fit over the recent rows (shuffled each time)."
        ),
    )
    holdout: float = Field(
        default=0.25,
        gt=0,
        lt=1,
        description=(
            "Share of the recent rows kept out of training to compare challenger and champion."
        ),
    )
    metric: Literal[METRICS] = "accuracy"  # type: ignore[valid-type]
    margin: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=("How much the canary must win by on live labels to be promoted."),
    )
    offline_tolerance: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description=(
            "How much worse than the champion the challenger may look on the few held-out recent "
            "rows and still go out as a canary (the live comparison decides)."
        ),
    )
    canary_weight: float = Field(default=0.2, gt=0, lt=1)
    min_samples: int = Field(
        default=200,
        ge=1,
        description=("Labelled canary rows needed before promoting or rolling back."),
    )

    @model_validator(mode="after")
    def _retrain_needs_a_param(self) -> RetrainPolicy:
        if self.strategy == "retrain" and self.recent_param is None:
            raise ValueError("the retrain strategy needs 'recent_param' (STAGE.PARAM)")
        if not self.on and self.every is None:
            raise ValueError(
                "give the alerts that start the loop ('on'), a schedule ('every'), or both"
            )
        return self

    @property
    def every_seconds(self) -> float | None:
        return None if self.every is None else duration_seconds(self.every)


class AtScale(_Strict):
    """Time windows too large for memory: checked by DuckDB from the log's Parquet mirror."""

    above_rows: int = Field(default=2_000_000, ge=1, description="More rows: read the mirror.")
    memory_limit: str = Field(
        default="1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="The most memory DuckDB may use; beyond it, it spills to .mlmom/spill.",
    )


class MonitoringSpec(_Strict):
    """How served predictions are watched."""

    window: int = Field(default=1000, ge=10, description="Rows a check reads by default.")
    methods: dict[str, Literal[DRIFT_METHODS]] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="A drift test per feature, instead of the default."
    )
    thresholds: dict[str, Annotated[float, Field(gt=0, lt=10)]] = Field(
        default_factory=dict, description="A drift threshold per feature (p-value tests: < 1)."
    )
    alerts: list[AlertRule] = Field(default_factory=list)
    webhook: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="URL that receives every fired alert as JSON.",
    )
    retrain: RetrainPolicy | None = None
    at_scale: AtScale = Field(default_factory=AtScale)
    retention: str | None = Field(
        default=None,
        pattern=r"^\d+(\.\d+)?[smhd]$",
        description="Delete logged predictions (and their labels) older than this (e.g. 90d); "
        "the server prunes hourly, `mlmom monitor prune` at once. Unset: kept forever.",
    )

    @property
    def retention_seconds(self) -> float | None:
        return None if self.retention is None else duration_seconds(self.retention)

    @model_validator(mode="after")
    def _triggers_exist(self) -> MonitoringSpec:
        names = {a.name for a in self.alerts}
        for name in self.retrain.on if self.retrain else []:
            if name not in names:
                raise ValueError(f"retrain.on: no alert named {name!r}")
        return self

    @field_validator("alerts")
    @classmethod
    def _unique_names(cls, alerts: list[AlertRule]) -> list[AlertRule]:
        names = [a.name for a in alerts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"alert name {twice[0]!r} is used twice")
        return alerts


class Stage(_Strict):
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


class ProjectSpec(_Strict):
    """The whole of ``mlmom.yaml``."""

    project: str = Field(pattern=_NAME_PATTERN)
    model: str = Field(pattern=_NAME_PATTERN)
    description: str = ""
    stores: Stores = Field(default_factory=Stores)
    serving: Serving = Field(default_factory=Serving)
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    stages: dict[str, Stage]

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
