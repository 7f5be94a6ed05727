"""The ``monitoring:`` section of ``mlmom.yaml``: drift tests, alerts, the retraining loop,
checks at scale and retention. Declarative only; :mod:`mlmom_lab.monitoring` computes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .spec_base import DURATION_PATTERN, NAME_PATTERN, Strict, duration_seconds

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


class AlertRule(Strict):
    """One alert: what it watches, its limit, the samples it needs, and its cool-down."""

    name: str = Field(pattern=NAME_PATTERN)
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
        pattern=DURATION_PATTERN,
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


class RetrainPolicy(Strict):
    """What fired alerts do: retrain, release the result as a canary, promote or roll back."""

    on: list[str] = Field(default_factory=list, description="Alert names that start the loop.")
    every: str | None = Field(
        default=None,
        pattern=DURATION_PATTERN,
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


class AtScale(Strict):
    """Time windows too large for memory: checked by DuckDB from the log's Parquet mirror."""

    above_rows: int = Field(default=2_000_000, ge=1, description="More rows: read the mirror.")
    memory_limit: str = Field(
        default="1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="The most memory DuckDB may use; beyond it, it spills to .mlmom/spill.",
    )


class MonitoringSpec(Strict):
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
        pattern=DURATION_PATTERN,
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
