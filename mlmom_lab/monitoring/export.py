"""The latest check as Prometheus gauges, next to the serving metrics.

``mlmom monitor check`` writes ``.mlmom/monitoring/latest.json``; the server's ``/metrics``
reads it (when it changed) through :class:`MonitoringCollector` and adds:
``mlmom_feature_drift_score{model,version,feature,method}``,
``mlmom_feature_drifted{...}``, ``mlmom_dataset_drift_share{model,version}``,
``mlmom_performance{model,version,metric,source}`` (source: measured, estimated, baseline),
``mlmom_alerts_firing{model,version,rule}`` and
``mlmom_monitoring_check_timestamp_seconds``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from prometheus_client.core import GaugeMetricFamily

    from .alerts import Alert
    from .windows import WindowDrift

LATEST = "latest.json"
HISTORY = "history.jsonl"  # one line per check: performance and drift over windows
HISTORY_KEEP = 500


class ShapShift(TypedDict, total=False):
    shap_share: list[float]  # the feature's share of mean |SHAP|: training rows, then window
    shap_shifted: bool


class FeatureCheck(ShapShift):
    feature: str
    method: str
    score: float  # a p-value or a distance (see method)
    drifted: bool


class LatestCheck(TypedDict):
    """``latest.json``, what the latest check found: the CLI, the lab and ``/metrics`` read it."""

    ts: float
    model: str
    version: str
    rows: int
    dataset_drift_share: float
    features: list[FeatureCheck]  # the features a test scored
    performance: dict[str, dict[str, float]]  # measured, estimated, baseline -> metric -> value
    alerts: list[str]  # the rules that fired


def _shap_shift(drift: WindowDrift, feature: str) -> ShapShift:
    """The feature's share of mean |SHAP|, training rows then window, where it was measured."""
    if drift.explanation is None:
        return {}
    shift = drift.explanation[feature]
    return {
        "shap_share": [shift.reference_share, shift.current_share],
        "shap_shifted": shift.shifted,
    }


def write_latest(state_dir: Path, drift: WindowDrift, alerts: list[Alert]) -> Path:
    """Write what the check found where the server's collector reads it (atomically)."""
    window, features = drift.window, drift.features
    performance = drift.performance
    latest: LatestCheck = {
        "ts": time.time(),
        "model": window.model,
        "version": window.version,
        "rows": window.rows,
        "dataset_drift_share": features.drifted_share,
        "features": [
            {
                "feature": c.column,
                "method": c.method,
                "score": c.score,
                "drifted": c.drifted,
                **_shap_shift(drift, c.column),
            }
            for c in features.columns
            if c.score is not None
        ],
        "performance": {
            source: getattr(performance, source) for source in ("measured", "estimated", "baseline")
        }
        if performance
        else {},
        "alerts": [a.rule for a in alerts],
    }
    folder = state_dir / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LATEST
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(latest))
    os.replace(temporary, path)
    _append_history(folder, latest)
    return path


def _append_history(folder: Path, latest: LatestCheck) -> None:
    """Add the check to the history, keeping the last :data:`HISTORY_KEEP` (atomically); each
    feature's score is kept too (the lab draws it over the checks)."""
    keys = ("ts", "model", "version", "rows", "dataset_drift_share", "performance", "alerts")
    entry: dict[str, Any] = {k: latest[k] for k in keys}  # type: ignore[literal-required]
    entry["features"] = [
        {
            "feature": f["feature"],
            "method": f["method"],
            "score": f["score"],
            "drifted": f["drifted"],
        }
        for f in latest["features"]
    ]
    lines = read_history(folder.parent)[-(HISTORY_KEEP - 1) :] + [entry]
    temporary = folder / f".{HISTORY}.{os.getpid()}"
    temporary.write_text("".join(json.dumps(line) + "\n" for line in lines))
    os.replace(temporary, folder / HISTORY)


def read_history(state_dir: Path) -> list[dict[str, Any]]:
    """The checks so far, oldest first (a torn or foreign line is skipped)."""
    try:
        text = (state_dir / "monitoring" / HISTORY).read_text()
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def read_latest(state_dir: Path) -> LatestCheck | None:
    """What the latest check wrote, or None before the first."""
    try:
        latest: LatestCheck = json.loads((state_dir / "monitoring" / LATEST).read_text())
        return latest
    except (OSError, ValueError):
        return None


class MonitoringCollector:
    """A prometheus_client collector over ``latest.json`` (re-read only when it changes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, LatestCheck | None] = (-1.0, None)

    def collect(self) -> list[GaugeMetricFamily]:
        latest = self._latest()
        if latest is None:
            return []
        return list(_families(latest))

    def _latest(self) -> LatestCheck | None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return None
        if mtime != self._seen[0]:
            try:
                self._seen = (mtime, json.loads(self.path.read_text()))
            except (OSError, ValueError):
                return self._seen[1]
        return self._seen[1]


def _families(latest: LatestCheck) -> Iterator[GaugeMetricFamily]:
    from prometheus_client.core import GaugeMetricFamily

    model, version = latest["model"], latest["version"]
    score = GaugeMetricFamily(
        "mlmom_feature_drift_score",
        "Drift score of each feature in the latest check (a p-value or a distance: see method).",
        labels=["model", "version", "feature", "method"],
    )
    drifted = GaugeMetricFamily(
        "mlmom_feature_drifted",
        "1 where the feature drifted.",
        labels=["model", "version", "feature", "method"],
    )
    for f in latest["features"]:
        labels = [model, version, f["feature"], f["method"]]
        score.add_metric(labels, f["score"])
        drifted.add_metric(labels, float(f["drifted"]))
    share = GaugeMetricFamily(
        "mlmom_dataset_drift_share", "Share of drifted features.", labels=["model", "version"]
    )
    share.add_metric([model, version], latest["dataset_drift_share"])
    performance = GaugeMetricFamily(
        "mlmom_performance",
        "Model performance in the latest check: measured on labels, estimated, or the baseline.",
        labels=["model", "version", "metric", "source"],
    )
    for source, values in latest["performance"].items():
        for metric, value in values.items():
            performance.add_metric([model, version, metric, source], value)
    alerts = GaugeMetricFamily(
        "mlmom_alerts_firing",
        "1 for each alert the latest check fired.",
        labels=["model", "version", "rule"],
    )
    for rule in latest["alerts"]:
        alerts.add_metric([model, version, rule], 1.0)
    checked = GaugeMetricFamily(
        "mlmom_monitoring_check_timestamp_seconds", "When the latest monitoring check ran."
    )
    checked.add_metric([], latest["ts"])
    yield from (score, drifted, share, performance, alerts, checked)
