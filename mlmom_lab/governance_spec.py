"""The ``gate:`` and ``governance:`` sections of ``mlmom.yaml`` as pydantic models.

The quality gate's rules (metric thresholds, a margin over the champion on one evaluation
set, ONNX parity, reproducibility, fairness across groups) and the project's governance
(owner, intended use, approvals, four eyes, the sensitive columns performance is broken down
by). Declarative only: :mod:`mlmom_lab.gate` judges them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from pathlib import Path

from pydantic import Field, field_validator

from .spec_base import Strict

_THRESHOLD = re.compile(r"^\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
# Metrics where lower is better: a margin over the champion means below it.
LOWER_IS_BETTER = ("mae", "rmse", "log_loss")


class Threshold:
    """``">= 0.75"``: an operator and a bound, parsed once."""

    def __init__(self, text: str) -> None:
        match = _THRESHOLD.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a threshold: write it like '>= 0.75' or '< 0.3'")
        self.op, self.bound = match.group(1), float(match.group(2))

    def holds(self, value: float) -> bool:
        return _COMPARE[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


class Evaluation(Strict):
    """Labelled rows both versions are scored on (a Parquet or CSV file in the project)."""

    data: str = Field(description="Path of the rows, relative to the project folder.")
    target: str = Field(description="The label's column.")

    @field_validator("data")
    @classmethod
    def _inside(cls, path: str) -> str:
        p = Path(path)
        if p.is_absolute() or ".." in p.parts:
            raise ValueError(f"{path!r} must be a relative path inside the project")
        if p.suffix.lower() not in (".parquet", ".csv"):
            raise ValueError(f"{path!r}: the gate reads .parquet or .csv files")
        return p.as_posix()


class ChampionRule(Strict):
    """The candidate must beat the champion's value plus ``margin`` (fall below it minus
    ``margin`` for error metrics), both measured on the evaluation rows: an equal model is
    no reason to change."""

    metric: str = Field(description="The metric compared, e.g. roc_auc.")
    margin: float = Field(
        default=0.0,
        ge=-1,
        le=1,
        description="How much better it must be (negative: how much worse it may be).",
    )


class ReproduceRule(Strict):
    """Re-run the version's pipeline in a scratch folder and compare its metrics."""

    tolerance: float = Field(default=0.0, ge=0, description="Largest metric difference allowed.")


class FairnessRule(Strict):
    """Performance per group of each ``governance.groups`` column may differ by at most
    ``max_gap`` between its best and worst group."""

    metric: str = Field(default="accuracy", description="The metric measured per group.")
    max_gap: float = Field(gt=0, le=1, description="Largest allowed gap between groups.")
    min_rows: int = Field(default=30, ge=1, description="Groups with fewer rows are not judged.")


class GateSpec(Strict):
    """The quality gate ``mlmom gate`` applies to a registered version."""

    evaluation: Evaluation | None = Field(
        default=None,
        description="Labelled rows the metrics are measured on; without it the metrics the "
        "version recorded at registration are judged (and no champion or fairness rule).",
    )
    metrics: dict[str, str] = Field(
        default_factory=dict, description="A threshold per metric, e.g. roc_auc: '>= 0.75'."
    )
    champion: ChampionRule | None = None
    onnx_parity: bool = Field(
        default=False, description="The version must have an ONNX twin that passed parity."
    )
    reproduce: ReproduceRule | None = None
    fairness: FairnessRule | None = None

    @field_validator("metrics")
    @classmethod
    def _thresholds(cls, metrics: dict[str, str]) -> dict[str, str]:
        for name, text in metrics.items():
            try:
                Threshold(str(text))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return {name: str(text) for name, text in metrics.items()}

    def thresholds(self) -> dict[str, Threshold]:
        return {name: Threshold(text) for name, text in self.metrics.items()}

    @property
    def empty(self) -> bool:
        return not (
            self.metrics or self.champion or self.onnx_parity or self.reproduce or self.fairness
        )


class GovernanceSpec(Strict):
    """Who owns the model, what it is for, and who must agree before it serves."""

    owner: str = Field(default="", description="Who answers for the model (model card).")
    intended_use: str = Field(default="", description="What the model is for, and not for.")
    require_approval: bool = Field(
        default=False,
        description="Only an approved version may become champion or go out as a canary.",
    )
    four_eyes: bool = Field(
        default=False, description="The approver must not be whoever registered the version."
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Sensitive columns of the evaluation rows: performance per group (model "
        "card, the gate's fairness rule).",
    )
    card_template: str | None = Field(
        default=None, description="A Jinja2 Markdown template of the model card, in the project."
    )
