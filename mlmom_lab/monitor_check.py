"""One monitoring check, top to bottom: read the window, measure drift and performance, judge
the alert rules, store and post what fired, publish the gauges, advance the retraining loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import retraining
from .monitoring import alerts as alerting
from .monitoring.export import write_latest
from .monitoring.loop_state import LoopState
from .monitoring.windows import WindowDrift, check_window, load_window

if TYPE_CHECKING:
    from .monitoring_spec import MonitoringSpec
    from .project import Project


@dataclass
class CheckResult:
    drift: WindowDrift
    alerts: list[alerting.Alert]
    webhook_ok: bool | None = None
    loop: LoopState | None = None  # the retraining loop's state after this check


def run_check(
    project: Project,
    *,
    version: str | None = None,
    route: str | None = None,
    last: int | None = None,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
    explain: bool = False,
) -> CheckResult:
    """Check a window (by default the last ``monitoring.window`` rows) and act on it;
    ``explain`` adds the explanation drift (mean |SHAP| per feature) next to the data drift."""
    spec = project.spec.monitoring
    if last is None and since is None and until is None:
        last = spec.window
    drift = _drift(project, version=version, route=route, last=last, since=since, until=until)
    if explain:
        from .explain.drift import stored_explanation_drift

        window = drift.window
        if window.at_scale:  # its frame holds the labelled rows: explain the latest ones
            from .explain.drift import MAX_ROWS
            from .monitoring.at_scale import latest_rows

            window = latest_rows(project, window, MAX_ROWS)
        drift.explanation = stored_explanation_drift(project, window)
    uri = project.prediction_log_uri
    fired = alerting.judge(spec.alerts, drift, fired_at=alerting.last_fired(uri), now=now)
    alerting.record(uri, fired)
    webhook_ok = alerting.post(spec.webhook, fired) if spec.webhook and fired else None
    write_latest(project.state_dir, drift, fired)
    return CheckResult(drift, fired, webhook_ok, retraining.advance(project, fired, now))


def _drift(
    project: Project,
    *,
    version: str | None,
    route: str | None,
    last: int | None,
    since: float | None,
    until: float | None,
) -> WindowDrift:
    """The window's drift: read into memory, or, for a time window of more rows than
    ``monitoring.at_scale.above_rows``, by DuckDB from the log's Parquet mirror."""
    from .monitoring import at_scale
    from .monitoring.windows import resolve_version

    spec = project.spec.monitoring
    methods, thresholds = spec.methods or None, spec.thresholds or None
    name, number = resolve_version(project, version)
    _check_spec_columns(project, spec, number)
    if last is None:
        uri = project.prediction_log_uri
        if at_scale.rows_in_span(uri, name, number, route, since, until) > spec.at_scale.above_rows:
            return at_scale.check_at_scale(
                project, name, number, route=route, since=since, until=until,
                methods=methods, thresholds=thresholds,
            )  # fmt: skip
    window = load_window(project, version=number, route=route, last=last, since=since, until=until)
    return check_window(project, window, methods=methods, thresholds=thresholds)


def _check_spec_columns(project: Project, spec: MonitoringSpec, version: str) -> None:
    """Columns named in mlmom.yaml must be features of the version, said with the field."""
    from .errors import InvalidInput
    from .monitoring.reference import PREDICTION, TARGET
    from .monitoring.windows import reference_for

    features = [c for c in reference_for(project, version).columns if c not in (PREDICTION, TARGET)]
    named = (
        [(f"monitoring.methods.{c}", c) for c in spec.methods]
        + [(f"monitoring.thresholds.{c}", c) for c in spec.thresholds]
        + [(f"monitoring.alerts.{a.name}.feature", a.feature) for a in spec.alerts if a.feature]
    )
    for field, column in named:
        if column not in features:
            raise InvalidInput(
                f"{field}: {column!r} is not a feature of version {version} "
                f"(features: {', '.join(features)})"
            )
