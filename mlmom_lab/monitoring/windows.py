"""Windows over the prediction log, and their drift against the version's reference.

A window is the last N predicted rows, or the rows of a time range, of one model version
(and optionally one route), read from the prediction log wherever its URI points. Each
logged request expands into its rows: the input features, ``__prediction__`` (what the
model answered) and ``__target__`` where a label arrived through ``/feedback``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import InvalidInput, NotFound
from ..predictions.database import Row, engine
from .drift import ColumnDrift, DriftResult, check_drift
from .performance import Calibration, Performance, estimated, measured, shares
from .reference import PREDICTION, SCORE, TARGET, ReferenceStats

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

    from ..explain.drift import ExplanationDrift
    from ..project import Project

META_COLUMNS = ("request_id", "row", "ts", "route")  # which request a row came from


@dataclass(frozen=True)
class Counted:
    """What a window too large to read says of itself: its rows, requests, p99 latency."""

    rows: int
    requests: int
    p99_ms: float | None


@dataclass
class Window:
    """Rows of the prediction log: ``frame`` holds features, prediction, target and meta."""

    model: str
    version: str
    route: str | None
    frame: pd.DataFrame
    since: float | None
    until: float | None
    latencies_ms: list[float] = field(default_factory=list)  # one per request
    errors: int = 0  # refused or failed requests in the window's time span
    at_scale: Counted | None = None  # a window counted where it lies (``frame``: its labels)

    @property
    def requests(self) -> int:
        return self.at_scale.requests if self.at_scale else len(self.latencies_ms)

    @property
    def rows(self) -> int:
        return self.at_scale.rows if self.at_scale else len(self.frame)

    def latency_p99(self) -> float | None:
        """The 99th percentile of the requests' latencies (numpy's linear rule)."""
        if self.at_scale:
            return self.at_scale.p99_ms
        if not self.latencies_ms:
            return None
        import numpy as np

        return float(np.percentile(self.latencies_ms, 99))

    @property
    def labelled(self) -> int:
        return int(self.frame[TARGET].notna().sum()) if TARGET in self.frame else 0


@dataclass
class WindowDrift:
    """Feature, prediction and (where labels arrived) target drift of one window."""

    window: Window
    features: DriftResult
    prediction: ColumnDrift
    target: ColumnDrift | None
    performance: Performance | None = None
    explanation: ExplanationDrift | None = None  # where asked for and the version has SHAP

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "model": self.window.model,
            "version": self.window.version,
            "route": self.window.route,
            "rows": self.window.rows,
            "requests": self.window.requests,
            "labelled": self.window.labelled,
            "at_scale": self.window.at_scale is not None,  # counted by DuckDB from the mirror
            "features": self.features.as_dict(),
            "prediction": asdict(self.prediction),
            "target": asdict(self.target) if self.target else None,
            "performance": self.performance.as_dict() if self.performance else None,
            "explanation": self.explanation.as_dict() if self.explanation else None,
        }


def load_window(
    project: Project,
    *,
    version: str | None = None,
    route: str | None = None,
    last: int | None = None,
    since: float | None = None,
    until: float | None = None,
) -> Window:
    """The window of ``version`` (default: the champion) by count (``last`` rows) or time."""
    if last is not None and (not isinstance(last, int) or last <= 0):
        raise InvalidInput(f"last: {last!r} is not a positive number of rows")
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since must be before until")
    name, number = resolve_version(project, version)
    uri = project.prediction_log_uri
    records = _read(uri, name, number, route, since, until, last)
    frame = expand(records, last)
    join_labels(uri, frame)
    latencies = [r[6] for r in records]
    errors = _errors(uri, name, number, records[0][1], records[-1][1]) if records else 0
    return Window(name, number, route, frame, since, until, latencies, errors)


def check_window(
    project: Project,
    window: Window,
    *,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> WindowDrift:
    """The window's drift against the reference statistics stored with its version."""
    reference = reference_for(project, window.version)
    features = [c for c in reference.columns if c not in (PREDICTION, TARGET)]
    if window.rows == 0:
        raise InvalidInput(f"the window of version {window.version} has no logged predictions")
    result = check_drift(
        reference, window.frame, columns=features, methods=methods, thresholds=thresholds
    )
    prediction = check_drift(reference, window.frame, columns=[PREDICTION]).columns[0]
    target = target_drift(reference, window.frame)
    return WindowDrift(window, result, prediction, target, window_performance(project, window))


def target_drift(reference: ReferenceStats, frame: pd.DataFrame) -> ColumnDrift | None:
    """Drift of the labels that arrived, where the reference has the training labels."""
    labelled = frame[frame[TARGET].notna()] if TARGET in frame else None
    if TARGET not in reference.columns or labelled is None or not len(labelled):
        return None
    typed = labelled.astype({TARGET: type(labelled[TARGET].iloc[0])})
    return check_drift(reference, typed, columns=[TARGET]).columns[0]


def window_performance(project: Project, window: Window) -> Performance:
    """Measured metrics on the labelled rows, CBPE estimates on all rows, and the baseline."""
    from ..registry import get_version

    info = get_version(project.spec.model, window.version, project)
    frame = window.frame
    labelled = frame[frame[TARGET].notna()] if TARGET in frame else frame.iloc[:0]
    calibration = calibration_for(project, window.version)
    positive = calibration.classes[1] if calibration else None
    has_score = SCORE in frame and frame[SCORE].notna().all()
    performance = Performance(window.rows, len(labelled), baseline=dict(info.metrics))
    if len(labelled):
        performance.measured = measured(
            info.task,
            labelled[TARGET].tolist(),
            labelled[PREDICTION].tolist(),
            labelled[SCORE] if has_score else None,
            positive,
        )
    if info.task in ("classification", "clustering") and window.rows:
        answered = _reference_answers(project, window.version)
        if answered is not None:
            performance.shares = shares(answered, frame[PREDICTION].tolist())
    if calibration is not None and has_score and window.rows:
        performance.estimated = estimated(
            calibration(frame[SCORE].to_numpy()), (frame[PREDICTION] == positive).to_numpy()
        )
        if len(labelled):
            performance.estimated_on_labelled = estimated(
                calibration(labelled[SCORE].to_numpy()),
                (labelled[PREDICTION] == positive).to_numpy(),
            )
    return performance


def _reference_answers(project: Project, version: str) -> dict[str, int] | None:
    """How often the model gave each answer on its reference rows (None without them)."""
    import numpy as np

    try:
        column = reference_for(project, version).columns.get(PREDICTION)
    except (InvalidInput, NotFound):
        return None
    if column is None:
        return None
    if column.values is not None:
        labels, counts = np.unique(column.values, return_counts=True)
        return {str(k): int(n) for k, n in zip(labels.tolist(), counts.tolist())}
    return {str(k): int(n) for k, n in (column.counts or {}).items()}


def reference_for(project: Project, version: str) -> ReferenceStats:
    """The reference statistics registered with ``version``, cached under ``.mlmom/``."""
    return ReferenceStats.load(_monitoring_dir(project, version))


def calibration_for(project: Project, version: str) -> Calibration | None:
    """The score calibration registered with ``version`` (binary classifiers only)."""
    return Calibration.load(_monitoring_dir(project, version))


def _monitoring_dir(project: Project, version: str) -> Path:
    """The version's ``monitoring`` artifacts, downloaded once into ``.mlmom/monitoring``."""
    from ..mlflow_clients import client
    from ..registry import get_version

    info = get_version(project.spec.model, version, project)
    cache = project.state_dir / "monitoring" / info.name / info.version
    if not (cache / "reference" / "reference.json").is_file():
        missing = NotFound(
            f"version {info.version} has no reference statistics: register it "
            "with reference=<training features>"
        )
        if info.run_id is None:  # registered without a run: nothing was stored with it
            raise missing
        try:
            client(project).download_artifacts(info.run_id, "monitoring", str(cache))
        except Exception:  # noqa: BLE001 - MLflow says "not found" in several ways
            raise missing from None
        (cache / "monitoring").rename(cache / "reference")
    return cache / "reference"


def resolve_version(project: Project, version: str | None) -> tuple[str, str]:
    """The model's name and the number of ``version`` (default: the champion)."""
    from ..registry import get_version

    info = get_version(project.spec.model, version or "champion", project)
    return info.name, info.version


def log_where(
    model: str, version: str, route: str | None, since: float | None, until: float | None
) -> tuple[str, dict[str, Any]]:
    """The condition (and its parameters) on the log's rows of a version in a time span: one
    route, or every route but the shadow's."""
    where = [
        "model = :model",
        "version = :version",
        "route != 'shadow'" if route is None else "route = :route",
    ]
    params: dict[str, Any] = {"model": model, "version": version, "route": route}
    if since is not None:
        where.append("ts >= :since")
        params["since"] = since
    if until is not None:
        where.append("ts < :until")
        params["until"] = until
    return " AND ".join(where), params


def _read(
    uri: str,
    model: str,
    version: str,
    route: str | None,
    since: float | None,
    until: float | None,
    last: int | None,
) -> list[Row]:
    import sqlalchemy as sa

    where, params = log_where(model, version, route, since, until)
    sql = (
        "SELECT request_id, ts, route, n_rows, inputs, outputs, latency_ms "
        f"FROM predictions WHERE {where} ORDER BY ts DESC"
    )
    rows: list[Row] = []
    total = 0
    with engine(uri).connect() as conn:
        for row in conn.execute(sa.text(sql), params):
            rows.append(tuple(row))
            total += row[3]
            if last is not None and total >= last:
                break
    return rows[::-1]  # oldest first


def expand(records: list[Row], last: int | None) -> pd.DataFrame:
    """One DataFrame row per predicted row: features, prediction, request id, row, ts."""
    import pandas as pd

    columns: dict[str, list[Any]] = {}
    meta: dict[str, list[Any]] = {**{c: [] for c in META_COLUMNS}, PREDICTION: [], SCORE: []}
    for request_id, ts, route, n_rows, inputs, outputs, _ in records:
        for name, values in orjson.loads(inputs).items():
            if name not in columns:  # a column new here: missing in the rows before
                columns[name] = [None] * len(meta["row"])
            columns[name].extend(values)
        answer = orjson.loads(outputs)
        meta[PREDICTION].extend(answer["predict"])
        # the last class's probability: the positive one of a binary classifier
        probabilities = answer.get("predict_proba")
        meta[SCORE].extend([row[-1] for row in probabilities] if probabilities else [None] * n_rows)
        meta["request_id"].extend([request_id] * n_rows)
        meta["row"].extend(range(n_rows))
        meta["ts"].extend([ts] * n_rows)
        meta["route"].extend([route] * n_rows)
        for values in columns.values():  # a column a request left out: missing there
            values.extend([None] * (len(meta["row"]) - len(values)))
    frame = pd.DataFrame({**columns, **meta})
    return frame.tail(last).reset_index(drop=True) if last is not None else frame


def _errors(uri: str, model: str, version: str, first: float, last: float) -> int:
    """Refused or failed prediction requests of the version (or not yet routed) in a span."""
    import sqlalchemy as sa

    query = sa.text(
        "SELECT COUNT(*) FROM errors WHERE model = :model AND ts >= :first AND "
        "ts <= :last AND (version = :version OR version = '')"
    )
    with engine(uri).connect() as conn:
        return int(
            conn.execute(
                query, {"model": model, "version": version, "first": first, "last": last}
            ).scalar_one()  # COUNT(*): always one row
        )


def join_labels(uri: str, frame: pd.DataFrame) -> None:
    """``__target__`` from the feedback table, by request id and row (missing where none)."""
    import pandas as pd
    import sqlalchemy as sa

    if frame.empty:
        frame[TARGET] = []
        return
    ids = sorted(set(frame["request_id"]))
    query = sa.text(
        "SELECT request_id, row, label FROM feedback WHERE request_id IN :ids"
    ).bindparams(sa.bindparam("ids", expanding=True))
    found: list[sa.Row[Any]] = []
    with engine(uri).connect() as conn:
        for start in range(0, len(ids), 5000):  # within every database's parameter limit
            found += conn.execute(query, {"ids": ids[start : start + 5000]}).fetchall()
    labels = pd.DataFrame(found, columns=["request_id", "row", "label"])
    if labels.empty:
        frame[TARGET] = None
        return
    labels[TARGET] = [orjson.loads(v) for v in labels.pop("label")]
    joined = frame[["request_id", "row"]].merge(labels, on=["request_id", "row"], how="left")
    frame[TARGET] = joined[TARGET].to_numpy()


def parse_since(text: str, now: float | None = None) -> float:
    """``30m``, ``2h``, ``1d`` (before now) or a Unix timestamp, as a timestamp."""
    from ..spec_base import DURATION_UNITS, duration_seconds

    now = time.time() if now is None else now
    try:
        since = now - duration_seconds(text) if text[-1:] in DURATION_UNITS else float(text)
        if not math.isfinite(since):
            raise ValueError(text)
        return since
    except ValueError:
        raise InvalidInput(
            f"since: {text!r} is not a duration (30m, 2h, 1d) or a timestamp"
        ) from None
