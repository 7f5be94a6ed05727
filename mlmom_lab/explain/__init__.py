"""Explanations of model versions: SHAP and LIME behind one interface.

- global importance, computed when a version is registered and stored with it
  (:func:`global_importance`);
- local explanations of any logged prediction, by request id (:func:`explain_request`);
- explanation drift, mean |SHAP| per feature of a window against the training rows
  (:func:`explanation_drift`).

SHAP, LIME and MLflow load only when an explanation is computed.
"""

from .artifacts import GlobalImportance, explainers, global_importance
from .drift import ExplanationDrift, explanation_drift
from .local import RequestExplanation, explain_request, read_request
from .methods import Explanation, LimeExplainer, ShapExplainer
from .model import ModelView, view

__all__ = [
    "Explanation",
    "ExplanationDrift",
    "GlobalImportance",
    "LimeExplainer",
    "ModelView",
    "RequestExplanation",
    "ShapExplainer",
    "explain_request",
    "explainers",
    "explanation_drift",
    "global_importance",
    "read_request",
    "view",
]
