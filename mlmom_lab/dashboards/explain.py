"""The explanation dashboard: pick a model and version to see its global importance, then
pick one of its logged requests to see that prediction explained by SHAP and LIME."""

from __future__ import annotations

import datetime
from html import escape

from . import charts, html


class ExplainDashboard:
    """Model and version pickers, global importance, a request picker and its explanation."""

    def __init__(self, project) -> None:
        import ipywidgets as widgets

        from .. import registry

        self.project = project
        self._shown: tuple | None = None  # (version, request, row) on screen
        models = [m["name"] for m in registry.list_models(project)] or [project.spec.model]
        self.model = widgets.Dropdown(options=models, description="Model")
        self.version = widgets.Dropdown(description="Version")
        self.request = widgets.Dropdown(description="Request", layout=widgets.Layout(width="34em"))
        self.row = widgets.BoundedIntText(
            value=0, min=0, max=0, description="Row", layout=widgets.Layout(width="10em")
        )
        self.importance = widgets.VBox()
        self.local = widgets.VBox()
        for widget, css in (
            (self.model, "mlmom-model"),
            (self.version, "mlmom-version"),
            (self.request, "mlmom-request"),
            (self.row, "mlmom-row"),
            (self.importance, "mlmom-importance"),
            (self.local, "mlmom-local"),
        ):
            widget.add_class(css)
        self.model.observe(lambda _: self._versions(), "value")
        self.version.observe(lambda _: self._version_changed(), "value")
        self.request.observe(lambda _: self._request_changed(), "value")
        self.row.observe(lambda _: self._explain(), "value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.model, self.version]),
                widgets.HTML("<h3>What drives this version</h3>"),
                self.importance,
                widgets.HTML("<h3>One logged prediction</h3>"),
                widgets.HBox([self.request, self.row]),
                self.local,
            ]
        )
        self._versions()

    def _versions(self) -> None:
        from .. import registry

        versions = registry.list_versions(self.model.value, self.project)
        labels = [
            (f"{v.version} ({', '.join(v.aliases)})" if v.aliases else v.version, v.version)
            for v in versions
        ]
        champion = next((v.version for v in versions if "champion" in v.aliases), None)
        self.version.options = labels
        self.version.value = champion or (labels[0][1] if labels else None)

    def _version_changed(self) -> None:
        self._show_importance()
        self._requests()

    def _show_importance(self) -> None:
        import ipywidgets as widgets

        from ..errors import MlmomError
        from ..explain import global_importance

        if self.version.value is None:
            self.importance.children = [widgets.HTML(html.note("no versions registered yet"))]
            return
        try:
            found = global_importance(self.project, f"{self.model.value}/{self.version.value}")
        except MlmomError as exc:
            self.importance.children = [widgets.HTML(html.note(exc.message))]
            return
        caption = (
            f"SHAP {found.kind} explainer on {found.rows} training rows; the "
            f"{found.output_name} starts from {found.base:.4f} on average"
        )
        self.importance.children = [
            widgets.HTML(html.note(caption, "mlmom-importance-caption")),
            charts.importance(found.ranked(), found.output_name),
        ]

    def _requests(self) -> None:
        from ..explain.local import recent_requests

        if self.version.value is None:
            self.request.options = []
            return
        found = recent_requests(self.project, self.model.value, self.version.value)
        self.request.options = [(_label(r), r["request_id"]) for r in found]
        self.request.value = found[0]["request_id"] if found else None
        self._request_changed()  # new options do not always tell the observer
        if not found:
            self._show_message(
                "no logged predictions of this version yet: serve it "
                "(mlmom serve) and send it requests"
            )

    def _request_changed(self) -> None:
        from ..explain.local import read_request

        if self.request.value is None:
            return
        rows = read_request(self.project, self.request.value).rows
        self.row.max = max(rows - 1, 0)
        self.row.value = 0
        self._explain()

    def _explain(self) -> None:
        import ipywidgets as widgets

        from ..errors import MlmomError
        from ..explain import explain_request

        shown = (self.version.value, self.request.value, self.row.value)
        if self.request.value is None or shown == self._shown:
            return
        self._shown = shown
        try:
            result = explain_request(
                self.project,
                self.request.value,
                row=self.row.value,
                version=f"{self.model.value}/{self.version.value}",
            )
        except MlmomError as exc:
            self._show_message(exc.message)
            return
        shap, lime = result.explanations["shap"], result.explanations["lime"]
        self.local.children = [
            widgets.HTML(_summary(result), layout=widgets.Layout(margin="0 0 6px 0")),
            widgets.HBox(
                [
                    charts.contributions(
                        shap.ranked(),
                        f"SHAP ({shap.algorithm}): base {shap.base:.3f} -> {shap.total:.3f}",
                        f"effect on the {shap.output_name}",
                    ),
                    charts.contributions(
                        lime.ranked(),
                        f"LIME: local fit R² {lime.fit:.2f}",
                        f"weight on the {lime.output_name}",
                    ),
                ]
            ),
            widgets.HTML(_table(result)),
        ]

    def _show_message(self, text: str) -> None:
        import ipywidgets as widgets

        self.local.children = [widgets.HTML(html.note(text, "mlmom-local-note"))]


def _label(request: dict) -> str:
    when = datetime.datetime.fromtimestamp(request["ts"]).strftime("%Y-%m-%d %H:%M:%S")
    return f"{request['request_id']} · {request['route']} · {when} · {request['n_rows']} rows"


def _summary(result) -> str:
    shap = result.explanations["shap"]
    score = "" if result.logged_score is None else f" ({result.logged_score:.4f})"
    served = result.request.version
    by = "" if served == result.version else f"; served by version {escape(served)}"
    return (
        f"<p class='mlmom-summary'>Request <b>{escape(result.request.request_id)}</b> row "
        f"{result.row} answered <b>{escape(str(result.logged_prediction))}</b>{score} on the "
        f"{escape(result.request.route)} route{by}. SHAP: base {shap.base:.4f} + "
        f"contributions = {shap.total:.4f}, the {escape(shap.output_name)}.</p>"
    )


def _table(result) -> str:
    shap, lime = result.explanations["shap"], result.explanations["lime"]
    rows = [
        [
            f"<b>{escape(name)}</b>",
            html.number(result.inputs.get(name)),
            f"{value:+.4f}",
            f"{lime.contributions[name]:+.4f}",
            escape((lime.conditions or {}).get(name, "")),
        ]
        for name, value in shap.ranked()
    ]
    return html.table(["feature", "value", "SHAP", "LIME", "LIME's bin"], rows, "mlmom-explanation")
