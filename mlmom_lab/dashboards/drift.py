"""The drift dashboard: pick a version and a window of its prediction log to see drift per
feature (with the explanation drift beside it), the distributions, performance over time,
the alerts, and Evidently's own report embedded."""

from __future__ import annotations

import datetime
from html import escape
from typing import Any

from . import charts, html

WINDOWS: dict[str, dict[str, Any]] = {  # load_window's arguments of each choice
    "last 200 rows": {"last": 200},
    "last 500 rows": {"last": 500},
    "last 1000 rows": {"last": 1000},
    "last hour": {"since": "1h"},
    "last day": {"since": "1d"},
    "everything logged": {},
}
SLICES = 8  # points of the performance chart


class DriftDashboard:
    """Pickers for the version and the window; everything below follows them."""

    def __init__(self, project) -> None:
        import ipywidgets as widgets

        self.project = project
        self.version = widgets.Dropdown(description="Version")
        self.window = widgets.Dropdown(
            options=list(WINDOWS), value="last 1000 rows", description="Window"
        )
        self.summary, self.table = widgets.HTML(), widgets.HTML()
        self.distributions, self.performance = widgets.VBox(), widgets.VBox()
        self.alerts, self.report = widgets.HTML(), widgets.VBox()
        self.build_report = widgets.Button(
            description="Embed Evidently's report", layout=widgets.Layout(width="16em")
        )
        for widget, css in (
            (self.version, "mlmom-version"),
            (self.window, "mlmom-window"),
            (self.summary, "mlmom-summary"),
            (self.table, "mlmom-drift"),
            (self.alerts, "mlmom-alerts"),
            (self.report, "mlmom-report"),
            (self.build_report, "mlmom-build-report"),
        ):
            widget.add_class(css)
        self.version.observe(lambda _: self.refresh(), "value")
        self.window.observe(lambda _: self.refresh(), "value")
        self.build_report.on_click(lambda _: self._embed_report())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.version, self.window]),
                self.summary,
                widgets.HTML("<h3>Drift per feature</h3>"),
                self.table,
                widgets.HTML("<h3>Distributions: reference against the window</h3>"),
                self.distributions,
                widgets.HTML("<h3>Performance over the window</h3>"),
                self.performance,
                widgets.HTML("<h3>Alerts</h3>"),
                self.alerts,
                widgets.HTML("<h3>Evidently's report</h3>"),
                self.build_report,
                self.report,
            ]
        )
        self._versions()
        self.refresh()

    def _versions(self) -> None:
        from .. import registry

        logged = _logged_versions(self.project)
        versions = [v for v in registry.list_versions(project=self.project) if v.version in logged]
        self.version.options = [
            (f"{v.version} ({', '.join(v.aliases)})" if v.aliases else v.version, v.version)
            for v in versions
        ]
        champion = next((v.version for v in versions if "champion" in v.aliases), None)
        self.version.value = champion or (versions[0].version if versions else None)

    def current(self):
        """The window the pickers name, read from the prediction log."""
        from ..monitoring.windows import load_window, parse_since

        chosen = dict(WINDOWS[self.window.value])
        if "since" in chosen:
            chosen["since"] = parse_since(chosen["since"])
        return load_window(self.project, version=self.version.value, **chosen)

    def refresh(self) -> None:
        from ..errors import MlmomError
        from ..explain.drift import stored_explanation_drift
        from ..monitoring.windows import check_window

        self.report.children = []
        if self.version.value is None:
            self._empty(
                "no logged predictions yet: serve a version (mlmom serve) and send it requests"
            )
            return
        try:
            window = self.current()
            if window.rows == 0:
                self._empty(
                    f"no predictions of version {self.version.value} in the {self.window.value}"
                )
                return
            drift = check_window(self.project, window)
        except MlmomError as exc:
            self._empty(exc.message)
            return
        drift.explanation = stored_explanation_drift(self.project, window)
        self.summary.value = _summary(drift, self.window.value)
        self.table.value = _drift_table(drift)
        self.distributions.children = [_distributions(self.project, window)]
        self.performance.children = _performance(self.project, window)
        self.alerts.value = _alerts(self.project, self.version.value)

    def _empty(self, text: str) -> None:
        self.summary.value = html.note(text, "mlmom-empty")
        self.table.value = self.alerts.value = ""
        self.distributions.children = self.performance.children = []

    def _embed_report(self) -> None:
        import tempfile
        from pathlib import Path

        import ipywidgets as widgets

        from ..monitoring.report import write_report

        self.report.children = [widgets.HTML(html.note("Evidently is computing the report..."))]
        window = self.current()
        # the report is kept in MLflow; the local copy is only read into the page
        with tempfile.TemporaryDirectory(prefix="mlmom-report-") as folder:
            files = write_report(self.project, window, Path(folder))
            page = escape(files.html.read_text(), quote=True)
        self.report.children = [
            widgets.HTML(
                html.note(
                    f"Evidently's DataDriftPreset on {window.rows} rows; also logged to "
                    f"MLflow with version {window.version} under {files.mlflow_path}/",
                    "mlmom-report-caption",
                )
                + f"<iframe class='mlmom-evidently' srcdoc=\"{page}\" "
                "style='width:100%;height:720px;border:1px solid #ccc'></iframe>"
            )
        ]


def _logged_versions(project) -> set[str]:
    import sqlalchemy as sa

    from ..predictions.database import engine

    query = sa.text("SELECT DISTINCT version FROM predictions WHERE model = :model")
    with engine(project.prediction_log_uri).connect() as conn:
        return {row[0] for row in conn.execute(query, {"model": project.spec.model})}


def _summary(drift, label: str) -> str:
    window, features = drift.window, drift.features
    drifted = [c.column for c in features.columns if c.drifted]
    shifted = drift.explanation.shifted if drift.explanation else []
    first = datetime.datetime.fromtimestamp(window.frame["ts"].min()).strftime("%H:%M:%S")
    last = datetime.datetime.fromtimestamp(window.frame["ts"].max()).strftime("%H:%M:%S")
    return (
        f"<p class='mlmom-summary'>Version <b>{escape(window.version)}</b>, {escape(label)}: "
        f"<b>{window.rows}</b> rows ({first} to {last}), {window.labelled} labelled. "
        f"{html.verdict(features.dataset_drift, 'Dataset drift', 'No dataset drift')}: "
        f"{len(drifted)} of {len(features.columns)} features drifted "
        f"({escape(', '.join(drifted) or 'none')}); explanation shifted: "
        f"{escape(', '.join(shifted) or 'none')}.</p>"
    )


def _drift_table(drift) -> str:
    from ..monitoring.reference import PREDICTION

    shifts = {f.name: f for f in drift.explanation.features} if drift.explanation else {}
    rows = []
    for column in [*drift.features.columns, drift.prediction]:
        shift = shifts.get(column.column)
        moved = (
            "-"
            if shift is None
            else f"{shift.reference:.3f} → {shift.current:.3f} ({shift.reference_share:.0%} → "
            f"{shift.current_share:.0%})"
        )
        name = "(prediction)" if column.column == PREDICTION else column.column
        rows.append(
            [
                f"<b>{escape(name)}</b>",
                escape(column.method or "-"),
                html.number(column.score),
                html.verdict(column.drifted),
                moved,
                "-" if shift is None else html.verdict(shift.shifted, "SHIFT", "ok"),
            ]
        )
    return html.table(
        ["feature", "test", "score", "data drift", "mean |SHAP| train → window", "explanation"],
        rows,
        "mlmom-drift-table",
    )


def _distributions(project, window):
    from ..monitoring.reference import PREDICTION, TARGET
    from ..monitoring.windows import reference_for

    reference = reference_for(project, window.version)
    panels = [
        (name, reference[name], window.frame[name])
        for name in reference.columns
        if name not in (TARGET,) and name in window.frame
    ]
    shown = [(("prediction" if n == PREDICTION else n), r, c) for n, r, c in panels]
    return charts.distributions(shown)


def _performance(project, window) -> list:
    import ipywidgets as widgets

    from ..monitoring.windows import Window, window_performance

    frame = window.frame
    step = max(1, -(-len(frame) // SLICES))
    points, metric, baseline = [], "accuracy", None
    for start in range(0, len(frame), step):
        part = Window(
            window.model, window.version, window.route, frame.iloc[start : start + step], None, None
        )
        found = window_performance(project, part)
        baseline = found.baseline.get(metric)
        points.append(
            {
                "end": start + len(part.frame),
                "measured": found.measured.get(metric),
                "estimated": found.estimated.get(metric),
            }
        )
    if not any(p["measured"] is not None or p["estimated"] is not None for p in points):
        return [widgets.HTML(html.note("no labels and no estimate for this version"))]
    return [
        widgets.HTML(
            html.note(
                f"{metric} in {len(points)} slices of about {step} rows: "
                "measured where labels arrived, estimated (CBPE) from the "
                "scores everywhere",
                "mlmom-performance-caption",
            )
        ),
        charts.performance(points, metric, baseline),
    ]


def _alerts(project, version: str) -> str:
    from ..monitoring.alerts import history

    fired = [a for a in history(project.prediction_log_uri, 50) if a.version == version]
    if not fired:
        return html.note(f"no alerts on version {version}", "mlmom-no-alerts")
    rows = [
        [
            datetime.datetime.fromtimestamp(a.ts).strftime("%Y-%m-%d %H:%M:%S"),
            escape(a.rule),
            escape(a.message),
        ]
        for a in fired[:20]
    ]
    return html.table(["when", "rule", "message"], rows, "mlmom-alerts-table")
