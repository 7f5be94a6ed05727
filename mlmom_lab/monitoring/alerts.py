"""Alerts: rules from ``mlmom.yaml`` judged on a checked window, stored, and posted.

Each rule needs ``min_samples`` (rows, or labels for a measured metric) before it judges, and
stays quiet for ``cooldown`` after it fires. Fired alerts go to the ``alerts`` table of
the prediction log, to the optional webhook (JSON, best effort: a webhook that is down is
logged, never raised), and the latest check's figures become Prometheus gauges on the
server's ``/metrics`` (see :mod:`.export`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import urllib.request
from contextlib import closing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TypeVar

from ..errors import InvalidInput, StoreUnavailable
from ..files import read_only_sqlite, sqlite_file
from ..monitoring_spec import AlertRule
from ..predictions.database import engine, tables
from .windows import WindowDrift

logger = logging.getLogger("mlmom.monitoring")
LOWER_IS_BETTER = {"mae", "rmse"}
# what a rule saw: (value, limit, samples, breached, description)
Observation = tuple[float, float, int, bool, str]
T = TypeVar("T")


@dataclass(frozen=True)
class Alert:
    """A rule that fired: what it saw, against which limit, on how many samples."""

    rule: str
    kind: str
    ts: float
    model: str
    version: str
    value: float
    limit: float
    samples: int
    message: str


def judge(
    rules: list[AlertRule],
    drift: WindowDrift,
    *,
    fired_at: dict[str, float],
    now: float | None = None,
) -> list[Alert]:
    """The rules that fire on this window, minus those still cooling down."""
    now = time.time() if now is None else now
    alerts = []
    for rule in rules:
        if now - fired_at.get(rule.name, float("-inf")) < rule.cooldown_seconds:
            continue
        seen = _observe(rule, drift)
        if seen is None:
            continue
        value, limit, samples, breached, what = seen
        if samples >= rule.min_samples and breached:
            window = drift.window
            alerts.append(
                Alert(
                    rule.name,
                    rule.kind,
                    now,
                    window.model,
                    window.version,
                    float(value),
                    float(limit),
                    samples,
                    f"{rule.name}: {what} (version {window.version}, {samples} samples)",
                )
            )
    return alerts


def _given(value: T | None) -> T:
    """A field the rule's kind needs (AlertRule's own validator makes sure it is there)."""
    assert value is not None
    return value


def _observe(rule: AlertRule, drift: WindowDrift) -> Observation | None:
    """(value, limit, samples, breached, description) of one rule on one window."""
    window, features = drift.window, drift.features
    if rule.kind == "dataset_drift":
        share = features.drifted_share
        return (
            share,
            features.drift_share,
            window.rows,
            features.dataset_drift,
            f"{share:.0%} of features drifted",
        )
    if rule.kind == "feature_drift":
        try:
            column = features[_given(rule.feature)]
        except StopIteration:
            raise InvalidInput(
                f"monitoring.alerts.{rule.name}.feature: {rule.feature!r} is "
                "not a feature of the model"
            ) from None
        return (
            column.score or 0.0,
            column.threshold or 0.0,
            column.n_current,
            column.drifted,
            f"{rule.feature} drifted ({column.method} {column.score:.3g})"
            if column.score is not None
            else "",
        )
    if rule.kind == "performance_drop":
        return _performance(rule, drift)
    if rule.kind == "latency_p99":
        p99 = window.latency_p99()
        if p99 is None:
            return None
        max_ms = _given(rule.max_ms)
        return (
            p99,
            max_ms,
            window.requests,
            p99 > max_ms,
            f"p99 latency {p99:.1f} ms > {max_ms:g} ms",
        )
    total = window.requests + window.errors
    rate = window.errors / total if total else 0.0
    max_rate = _given(rule.max_rate)
    return (
        rate,
        max_rate,
        total,
        rate > max_rate,
        f"error rate {rate:.1%} > {max_rate:.1%}",
    )


def _performance(rule: AlertRule, drift: WindowDrift) -> Observation | None:
    performance = drift.performance
    if performance is None:
        return None
    metric, max_drop = _given(rule.metric), _given(rule.max_drop)
    baseline = performance.baseline.get(metric)
    if baseline is None:
        raise InvalidInput(
            f"monitoring.alerts.{rule.name}.metric: the version was registered "
            f"without {rule.metric!r} (it has: "
            f"{', '.join(performance.baseline) or 'none'})"
        )
    value, samples, how = performance.measured.get(metric), performance.labelled, "measured"
    if (value is None or samples < rule.min_samples) and rule.use_estimate:
        value, samples, how = performance.estimated.get(metric), performance.rows, "estimated"
    if value is None:
        return None
    drop = value - baseline if metric in LOWER_IS_BETTER else baseline - value
    return (
        value,
        baseline - max_drop if metric not in LOWER_IS_BETTER else baseline + max_drop,
        samples,
        drop > max_drop,
        f"{how} {metric} {value:.3f} vs baseline {baseline:.3f}",
    )


def record(uri: str, alerts: list[Alert]) -> None:
    """Store fired alerts in the ``alerts`` table beside the prediction log."""
    if not alerts:
        return
    with engine(uri).begin() as conn:
        conn.execute(tables()["alerts"].insert(), [asdict(a) for a in alerts])


def history(uri: str, limit: int = 50) -> list[Alert]:
    """The latest stored alerts, newest first."""
    path = sqlite_file(uri)
    return _sql_history(uri, limit) if path is None else _sqlite_history(path, limit)


def _sql_history(uri: str, limit: int) -> list[Alert]:
    import sqlalchemy as sa

    table = tables()["alerts"]
    with engine(uri).connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.ts.desc()).limit(limit))
        return [Alert(**row._asdict()) for row in rows]


def _sqlite_history(path: Path, limit: int) -> list[Alert]:
    """The same read on a SQLite log through the standard library: importing SQLAlchemy
    costs a read command more than the read itself."""
    if not path.is_file():
        return []  # nothing served yet
    columns = ", ".join(f'"{f.name}"' for f in fields(Alert))  # "limit" is an SQL keyword
    query = f"SELECT {columns} FROM alerts ORDER BY ts DESC LIMIT ?"
    try:
        with closing(read_only_sqlite(path)) as db:
            return [Alert(*row) for row in db.execute(query, (limit,))]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a log written before its first check
        raise StoreUnavailable(f"the prediction log {path} cannot be read: {exc}") from None


def last_fired(uri: str) -> dict[str, float]:
    """Rule name -> when it last fired (for the cool-down)."""
    import sqlalchemy as sa

    table = tables()["alerts"]
    with engine(uri).connect() as conn:
        rows = conn.execute(sa.select(table.c.rule, sa.func.max(table.c.ts)).group_by(table.c.rule))
        return {rule: ts for rule, ts in rows}


def post(url: str, alerts: list[Alert], timeout: float = 5.0) -> bool:
    """POST the alerts as JSON to the webhook; False (and a log line) when it fails."""
    if not alerts:
        return True
    body = json.dumps({"alerts": [asdict(a) for a in alerts]}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except OSError as exc:  # a webhook that is down must not stop monitoring
        logger.warning("alert webhook failed: %s", type(exc).__name__)
        return False
