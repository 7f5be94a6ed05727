"""Checks of time windows too large for memory, from the prediction log's Parquet mirror.

The mirror is brought up to date, then DuckDB reads the window where it lies, under the
project's memory limit (``monitoring.at_scale``): the drift of every feature and of the
answers (see :mod:`.columnar`), the rows, requests and p99 latency, the answers' shares,
and the CBPE estimates streamed over the scores. Only the labelled rows are read into memory
(the measured metrics and the target's drift need them whole). What a window at scale does
not give: the expected ROC AUC among the estimates, which needs every score in order.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import InvalidInput
from . import mirror
from .columnar import check_drift_columnar, connect, literal, quote
from .performance import Performance, counted_shares, expected_confusion, from_confusion
from .reference import PREDICTION, SCORE, TARGET
from .windows import (
    Counted,
    Window,
    WindowDrift,
    _errors,
    _reference_answers,
    calibration_for,
    log_where,
    reference_for,
    target_drift,
    window_performance,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from ..project import Project

VIEW = "mlmom_window"


def rows_in_span(
    uri: str, model: str, version: str, route: str | None, since: float | None, until: float | None
) -> int:
    """How many rows the log holds for a version in a time span (one indexed query)."""
    import sqlalchemy as sa

    from ..predictions.database import engine

    where, params = log_where(model, version, route, since, until)
    sql = sa.text(f"SELECT COALESCE(SUM(n_rows), 0) FROM predictions WHERE {where}")
    with engine(uri).connect() as conn:
        return int(conn.execute(sql, params).scalar_one())


def check_at_scale(
    project: Project,
    model: str,
    version: str,
    *,
    route: str | None,
    since: float | None,
    until: float | None,
    methods: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> WindowDrift:
    """The window's drift and performance, read by DuckDB from the mirror."""
    uri, folder = project.prediction_log_uri, project.state_dir / "mirror"
    mirror.sync(uri, folder)
    keep = project.spec.monitoring.retention_seconds
    if keep is not None:  # what the log no longer holds, the mirror does not keep either
        mirror.forget_before(folder, time.time() - keep)
    reached = mirror.position(folder)  # the mirror holds ts <= reached (a minute's lag)
    spec = project.spec.monitoring.at_scale
    con = connect(spec.memory_limit, temp_directory=project.state_dir / "spill")
    con.execute(f"CREATE TEMP VIEW {VIEW} AS SELECT * FROM {mirror.relation(folder)} "
                f"WHERE {_sql_where(model, version, route, since, until, reached)}")  # fmt: skip
    until = reached if until is None else min(until, reached)
    counted = _counted(con)
    if counted.rows == 0:
        raise InvalidInput(f"the window of version {version} has no logged predictions")
    reference = reference_for(project, version)
    features = [c for c in reference.columns if c not in (PREDICTION, TARGET)]
    limit = spec.above_rows
    drift = check_drift_columnar(reference, con, VIEW, features, methods=methods,
                                 thresholds=thresholds, in_memory_rows=limit)  # fmt: skip
    answers = check_drift_columnar(reference, con, VIEW, [PREDICTION], in_memory_rows=limit)
    labelled = _labelled(con, uri, since)
    errors = _errors(uri, model, version, since or 0.0, until) if since is not None else 0
    window = Window(model, version, route, labelled, since, until, [], errors, counted)
    performance = _performance(project, window, con)
    return WindowDrift(window, drift, answers.columns[0], target_drift(reference, labelled),
                       performance)  # fmt: skip


def _sql_where(
    model: str,
    version: str,
    route: str | None,
    since: float | None,
    until: float | None,
    reached: float,
) -> str:
    where = [f"model = '{literal(model)}'", f"version = '{literal(version)}'",
             "route != 'shadow'" if route is None else f"route = '{literal(route)}'"]  # fmt: skip
    if since is not None:
        where.append(f"ts >= {float(since)!r}")
    if until is not None and until <= reached:
        where.append(f"ts < {float(until)!r}")
    else:
        where.append(f"ts <= {float(reached)!r}")
    return " AND ".join(where)


def latest_rows(project: Project, window: Window, rows: int) -> Window:
    """The window with its last ``rows`` rows as its frame (to explain them)."""
    from dataclasses import replace

    folder = project.state_dir / "mirror"
    con = connect(project.spec.monitoring.at_scale.memory_limit)
    where = _sql_where(window.model, window.version, window.route, window.since, window.until,
                       mirror.position(folder))  # fmt: skip
    frame = con.execute(
        f"SELECT * FROM {mirror.relation(folder)} WHERE {where} ORDER BY ts DESC, row DESC "
        f"LIMIT {int(rows)}"
    ).df()
    return replace(window, frame=frame.iloc[::-1].reset_index(drop=True))


def _counted(con: duckdb.DuckDBPyConnection) -> Counted:
    found = con.execute(
        f"SELECT count(*), count(latency_ms), quantile_cont(latency_ms, 0.99) FROM {VIEW}"
    ).fetchone()
    assert found is not None  # an aggregate: one row
    rows, requests, p99 = found
    return Counted(int(rows), int(requests), None if p99 is None else float(p99))


def _labelled(con: duckdb.DuckDBPyConnection, uri: str, since: float | None) -> pd.DataFrame:
    """The window's rows that have a label (``__target__``): the labels that arrived since
    the window began, joined to their rows."""
    import pandas as pd
    import sqlalchemy as sa

    from ..predictions.database import engine

    query = "SELECT request_id, row, label FROM feedback" + (" WHERE ts >= :since" if since else "")
    with engine(uri).connect() as conn:
        found = conn.execute(sa.text(query), {"since": since}).fetchall()
    labels = pd.DataFrame(found, columns=["request_id", "row", "label"])
    con.register("mlmom_labels", labels)
    try:
        frame = con.execute(
            f"SELECT w.*, l.label FROM {VIEW} w JOIN mlmom_labels l USING (request_id, row)"
        ).df()
    finally:
        con.unregister("mlmom_labels")
    frame[TARGET] = [orjson.loads(v) for v in frame.pop("label")]
    return frame.sort_values(["ts", "row"], kind="stable").reset_index(drop=True)


def _performance(project: Project, window: Window, con: duckdb.DuckDBPyConnection) -> Performance:
    """Measured on the labelled rows; the answers' shares and the estimates over all rows."""
    performance = window_performance(project, window)  # its frame: the labelled rows
    answered = _reference_answers(project, window.version)
    if performance.shares and answered is not None:
        rows = con.execute(
            f"SELECT {quote(PREDICTION)}, count(*) FROM {VIEW} GROUP BY 1"
        ).fetchall()
        performance.shares = counted_shares(answered, {k: int(n) for k, n in rows})
    calibration = calibration_for(project, window.version)
    if calibration is not None:
        performance.estimated = _estimated(con, calibration, calibration.classes[1])
    return performance


def _estimated(con: duckdb.DuckDBPyConnection, calibration: Any, positive: Any) -> dict[str, float]:
    """CBPE's expected confusion matrix over every row, the scores streamed in batches."""
    import numpy as np

    totals = np.zeros(4)
    score, answer = quote(SCORE), quote(PREDICTION)
    reader = con.sql(f"SELECT {score}, {answer} FROM {VIEW} WHERE {score} IS NOT NULL")
    for batch in reader.to_arrow_reader(1_000_000):
        p = calibration(batch.column(0).to_numpy(zero_copy_only=False))
        answers = np.asarray(batch.column(1).to_pylist(), dtype=object)
        totals += expected_confusion(p, answers == positive)
    return from_confusion(*totals) if totals.sum() else {}
