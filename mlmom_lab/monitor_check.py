"""One monitoring check, top to bottom: read the window, measure drift and performance, judge
the alert rules, store and post what fired, publish the gauges, advance the retraining loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import retraining
from .monitoring import alerts as alerting
from .monitoring.export import write_latest
from .monitoring.windows import WindowDrift, check_window, load_window

if TYPE_CHECKING:
    from .config import MonitoringSpec
    from .project import Project


@dataclass
class CheckResult:
    drift: WindowDrift
    alerts: list[alerting.Alert]
    webhook_ok: bool | None = None
    loop: retraining.LoopState | None = None  # the retraining loop's state after this check


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
    window = load_window(project, version=version, route=route, last=last, since=since, until=until)
    _check_spec_columns(project, spec, window.version)
    drift = check_window(
        project, window, methods=spec.methods or None, thresholds=spec.thresholds or None
    )
    if explain:
        from .explain.drift import stored_explanation_drift

        drift.explanation = stored_explanation_drift(project, window)
    uri = project.prediction_log_uri
    fired = alerting.judge(spec.alerts, drift, fired_at=alerting.last_fired(uri), now=now)
    alerting.record(uri, fired)
    webhook_ok = alerting.post(spec.webhook, fired) if spec.webhook and fired else None
    write_latest(project.state_dir, drift, fired)
    return CheckResult(drift, fired, webhook_ok, retraining.advance(project, fired, now))


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
