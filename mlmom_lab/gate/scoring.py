"""Scoring versions on the gate's evaluation rows: overall and per group of a sensitive column.

Each version answers through the same runtime a server would use with the native model (the
registered model's own answer), so the gate judges what will be served.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest

if TYPE_CHECKING:
    import pandas as pd

    from ..governance_spec import Evaluation
    from ..project import Project
    from ..registry.versions import VersionInfo

MISSING_GROUP = "(missing)"


@dataclass
class Rows:
    """The evaluation rows, where they came from and what they hashed to."""

    frame: pd.DataFrame
    path: str
    target: str
    sha256: str

    def describe(self) -> dict[str, Any]:
        return {"path": self.path, "rows": len(self.frame), "sha256": self.sha256}


@dataclass
class Scores:
    """A version's metrics on the rows, and per group of each sensitive column."""

    metrics: dict[str, float]
    groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # column -> group -> {"rows": n, "metrics": {...}}


def read_rows(project: Project, evaluation: Evaluation) -> Rows:
    """``gate.evaluation``'s rows; a missing file or label column is said in one line."""
    import pandas as pd

    path = project.root / evaluation.data
    where = f"gate.evaluation.data: {evaluation.data}"
    if not path.is_file():
        raise InvalidRequest(f"{where} does not exist (run the pipeline first?)")
    try:
        read = pd.read_parquet if path.suffix.lower() == ".parquet" else pd.read_csv
        frame = read(path)
    except Exception as exc:  # noqa: BLE001 - any reader's failure, in one line
        raise InvalidRequest(f"{where} cannot be read: {type(exc).__name__}: {exc}") from None
    if evaluation.target not in frame:
        raise InvalidRequest(
            f"gate.evaluation.target: no column {evaluation.target!r} in {evaluation.data}"
        )
    if frame[evaluation.target].isna().any():
        raise InvalidRequest(f"gate.evaluation.target: {evaluation.target!r} has missing labels")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Rows(frame, evaluation.data, evaluation.target, sha)


def score(project: Project, info: VersionInfo, rows: Rows, groups: list[str]) -> Scores:
    """``info``'s metrics on ``rows`` (those that mean something for its task), overall and
    per value of each column in ``groups``."""
    from ..serving.runtime import load

    runtime = load(project, f"{info.name}/{info.version}", twin=False)
    prediction = runtime.predict_frame(rows.frame)
    classes = list(prediction.classes or [])
    positive = classes[-1] if len(classes) == 2 else None
    score_ = (
        prediction.probabilities[:, -1]
        if positive is not None and prediction.probabilities is not None
        else None
    )
    answers = _Answers(info.task, rows.frame[rows.target].to_numpy(), prediction.values, score_)
    return Scores(
        answers.metrics(positive),
        {column: _by_group(rows, column, answers, positive) for column in groups},
    )


@dataclass
class _Answers:
    task: str
    labels: Any
    predicted: Any
    score: Any

    def metrics(self, positive: Any, mask: Any = None) -> dict[str, float]:
        from ..monitoring.performance import measured

        def pick(values: Any) -> Any:
            return values if values is None or mask is None else values[mask]

        return measured(
            self.task, pick(self.labels), pick(self.predicted), pick(self.score), positive
        )


def _by_group(rows: Rows, column: str, answers: _Answers, positive: Any) -> dict[str, Any]:
    if column not in rows.frame:
        raise InvalidRequest(f"governance.groups: no column {column!r} in {rows.path}")
    values = rows.frame[column].astype(object).where(rows.frame[column].notna(), MISSING_GROUP)
    keys = values.astype(str).to_numpy()
    out = {}
    for group in sorted(set(keys)):
        mask = keys == group
        out[group] = {"rows": int(mask.sum()), "metrics": answers.metrics(positive, mask)}
    return out
