"""Local explanations of logged predictions: the request is read back from the prediction
log by its id, and each of its rows can be explained by SHAP and LIME side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import InvalidInput, NotFound
from .artifacts import explainers
from .methods import Explanation

if TYPE_CHECKING:
    from ..project import Project

METHODS = ("shap", "lime")


@dataclass
class LoggedRequest:
    """One request of the prediction log, as it was served."""

    request_id: str
    ts: float
    model: str
    version: str
    route: str
    inputs: dict[str, list[Any]]  # column -> values, one per row
    outputs: dict[str, list[Any]]  # predict (and predict_proba) as answered

    @property
    def rows(self) -> int:
        return len(self.outputs.get("predict", []))

    def row(self, index: int) -> dict[str, Any]:
        return {name: values[index] for name, values in self.inputs.items()}

    def score(self, index: int) -> float | None:
        """The positive class's logged probability (a classifier's), else None."""
        probabilities = self.outputs.get("predict_proba")
        return float(probabilities[index][-1]) if probabilities else None


@dataclass
class RequestExplanation:
    """One row of a logged request, explained by one version with each method."""

    request: LoggedRequest
    row: int
    version: str  # the version that explains it (the one that answered, unless chosen)
    inputs: dict[str, Any]
    logged_prediction: Any
    logged_score: float | None
    explanations: dict[str, Explanation] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "request_id": r.request_id,
            "row": self.row,
            "ts": r.ts,
            "model": r.model,
            "served_by": r.version,
            "route": r.route,
            "version": self.version,
            "inputs": self.inputs,
            "logged_prediction": self.logged_prediction,
            "logged_score": self.logged_score,
            "explanations": {k: e.as_dict() for k, e in self.explanations.items()},
        }


def read_request(project: Project, request_id: str) -> LoggedRequest:
    """The logged request ``request_id``, or NotFound naming it."""
    import sqlalchemy as sa

    from ..predictions.database import engine

    query = sa.text(
        "SELECT request_id, ts, model, version, route, inputs, outputs "
        "FROM predictions WHERE request_id = :id"
    )
    with engine(project.prediction_log_uri).connect() as conn:
        found = conn.execute(query, {"id": request_id}).fetchone()
    if found is None:
        raise NotFound(f"no request {request_id!r} in the prediction log")
    rid, ts, model, version, route, inputs, outputs = found
    return LoggedRequest(
        rid, ts, model, version, route, orjson.loads(inputs), orjson.loads(outputs)
    )


def explain_request(
    project: Project,
    request_id: str,
    *,
    row: int = 0,
    version: str | None = None,
    methods: tuple[str, ...] = METHODS,
    target: Any = None,
) -> RequestExplanation:
    """Explain row ``row`` of the logged request by the version that answered it (or by
    ``version``, to see how another version reads the same customer). A classifier's
    explanation is of the class ``target`` when given, else of the predicted class (the
    positive one for a binary model)."""
    request = read_request(project, request_id)
    if not 0 <= row < request.rows:
        raise InvalidInput(f"row {row}: request {request_id!r} has rows 0 to {request.rows - 1}")
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise InvalidInput(f"methods: {', '.join(sorted(unknown))} unknown (shap, lime)")
    loaded = explainers(project, version or f"{request.model}/{request.version}")
    inputs = request.row(row)
    _check_inputs(project, loaded.view.features, inputs, request_id)
    result = RequestExplanation(
        request, row, loaded.version, inputs, request.outputs["predict"][row], request.score(row)
    )
    for method in methods:
        result.explanations[method] = loaded.explainer(method).explain([inputs], target)[0]
    return result


def _check_inputs(
    project: Project, features: list[str], inputs: dict[str, Any], request_id: str
) -> None:
    """A row whose features were dropped or hashed by the log cannot be explained honestly."""
    personal = project.spec.serving.log.personal_data
    protected = sorted(f for f in features if f in personal)
    missing = sorted(f for f in features if f not in inputs and f not in personal)
    if protected:
        raise InvalidInput(
            f"request {request_id!r}: {', '.join(protected)} are personal data "
            "the log hashes or drops, so its rows cannot be explained"
        )
    if missing:
        raise InvalidInput(f"request {request_id!r} was logged without {', '.join(missing)}")


def recent_requests(
    project: Project, model: str, version: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest logged requests of a version, or of any version of the model (shadow
    copies included), newest first."""
    import sqlalchemy as sa

    from ..predictions.database import engine

    which = "" if version is None else "AND version = :version "
    query = sa.text(
        "SELECT request_id, ts, version, route, n_rows FROM predictions WHERE model = :model "
        f"{which}ORDER BY ts DESC LIMIT :limit"
    )
    with engine(project.prediction_log_uri).connect() as conn:
        found = conn.execute(query, {"model": model, "version": version, "limit": limit})
        return [dict(row._mapping) for row in found]
