"""Model drift: performance per window, measured where labels arrived and estimated where not.

Measured: accuracy, precision, recall, F1 and ROC AUC for a classifier, MAE and RMSE for a
regressor, on the window's labelled rows, next to the version's evaluation baseline (the
metrics it was registered with). Estimated, before labels arrive, in the spirit of NannyML's
CBPE: a binary classifier's score is calibrated once, at registration, on held-out rows
(isotonic regression), so p = P(positive | row) for each served row; the expected confusion
matrix is then sum(p) and sum(1 - p) over the rows predicted positive and negative, and every
metric follows from it. Expected ROC AUC integrates the expected TPR over the expected FPR,
thresholds taken at the distinct scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .reference import plain_scalar

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

CALIBRATION = "calibration.json"


@dataclass
class Calibration:
    """Isotonic map from the positive class's raw score to a calibrated probability."""

    classes: list[Any]
    x: list[float]
    y: list[float]

    @classmethod
    def fit(
        cls,
        model: Any,
        features: pd.DataFrame,
        target: npt.ArrayLike,
        probabilities: npt.ArrayLike | None = None,
    ) -> Calibration | None:
        """From ``model``'s probabilities for ``features`` (``probabilities``, when the caller
        asked them already) against the labels ``target``; None unless a binary classifier."""
        from sklearn.isotonic import IsotonicRegression

        classes = list(model.classes_)
        if len(classes) != 2:
            return None  # the estimate covers binary classifiers
        if probabilities is None:
            probabilities = model.predict_proba(features)
        scores = np.asarray(probabilities)[:, 1]
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(scores, (np.asarray(target) == classes[1]).astype(float))
        return cls(
            [plain_scalar(c) for c in classes],
            iso.X_thresholds_.tolist(),
            iso.y_thresholds_.tolist(),
        )

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        calibrated: np.ndarray = np.interp(scores, self.x, self.y)
        return calibrated

    def save(self, folder: Path) -> None:
        (folder / CALIBRATION).write_text(
            json.dumps({"classes": self.classes, "x": self.x, "y": self.y})
        )

    @classmethod
    def load(cls, folder: Path) -> Calibration | None:
        path = folder / CALIBRATION
        return cls(**json.loads(path.read_text())) if path.is_file() else None


@dataclass
class Performance:
    """One window's performance: measured on labelled rows, estimated on all, the baseline."""

    rows: int
    labelled: int
    measured: dict[str, float] = field(default_factory=dict)
    estimated: dict[str, float] = field(default_factory=dict)
    estimated_on_labelled: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    # a classifier's classes or a clusterer's clusters: each one's share of the answers, in
    # the reference and in the window (a clusterer has no label to be measured against)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def measured(
    task: str,
    target: npt.ArrayLike,
    prediction: npt.ArrayLike,
    score: npt.ArrayLike | None = None,
    positive: Any = None,
) -> dict[str, float]:
    """The realised metrics of labelled rows, the ones that mean something for ``task``: MAE,
    RMSE and R² for a regressor; accuracy for a classifier, with precision, recall, F1 and
    ROC AUC of the positive class for a binary one and macro F1 for more classes; none for a clusterer
    (its cluster ids name no truth: see :attr:`Performance.shares`)."""
    from sklearn import metrics

    y, pred = np.asarray(target), np.asarray(prediction)
    if task == "clustering":
        return {}
    if task == "regression":
        out = {
            "mae": float(metrics.mean_absolute_error(y, pred)),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y, pred))),
        }
        if len(y) > 1:
            out["r2"] = float(metrics.r2_score(y, pred))
        return out
    out = {"accuracy": float(metrics.accuracy_score(y, pred))}
    if positive is None:  # more than two classes: every class counts alike
        out["f1_macro"] = float(metrics.f1_score(y, pred, average="macro", zero_division=0))
    if positive is not None:
        out.update(
            precision=float(metrics.precision_score(y, pred, pos_label=positive, zero_division=0)),
            recall=float(metrics.recall_score(y, pred, pos_label=positive, zero_division=0)),
            f1=float(metrics.f1_score(y, pred, pos_label=positive, zero_division=0)),
        )
        if score is not None and len(set(y.tolist())) == 2:
            out["roc_auc"] = float(metrics.roc_auc_score(y == positive, score))
    return out


def shares(reference: dict[str, int], current: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Each answer's share (class or cluster): ``reference`` counts, ``current`` answers."""
    labels, counts = np.unique(np.asarray([str(v) for v in current]), return_counts=True)
    return counted_shares(reference, dict(zip(labels.tolist(), counts.tolist())))


def counted_shares(
    reference: dict[str, int], current: dict[Any, int]
) -> dict[str, dict[str, float]]:
    """:func:`shares` of answers already counted."""
    return {
        "reference": _fractions(dict(zip(map(str, reference), reference.values()))),
        "current": _fractions({str(k): n for k, n in current.items()}),
    }


def _fractions(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: float(n / total) for k, n in sorted(counts.items())} if total else {}


def estimated(probability: np.ndarray, predicted_positive: np.ndarray) -> dict[str, float]:
    """CBPE: the expected metrics when each row is positive with its calibrated probability."""
    p, pos = np.asarray(probability, dtype=float), np.asarray(predicted_positive, dtype=bool)
    if p.size == 0:
        return {}
    return {**from_confusion(*expected_confusion(p, pos)), "roc_auc": expected_roc_auc(p)}


def expected_confusion(p: np.ndarray, pos: np.ndarray) -> tuple[float, float, float, float]:
    """The expected true and false positives, false and true negatives."""
    return p[pos].sum(), (1 - p[pos]).sum(), p[~pos].sum(), (1 - p[~pos]).sum()


def from_confusion(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of an (expected) confusion matrix."""
    return {
        "accuracy": float((tp + tn) / (tp + fp + fn + tn)),
        "precision": float(tp / (tp + fp)) if tp + fp else 0.0,
        "recall": float(tp / (tp + fn)) if tp + fn else 0.0,
        "f1": float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0,
    }


def expected_roc_auc(p: np.ndarray) -> float:
    """The ROC AUC expected when row i is positive with probability p_i, scored by p_i."""
    order = np.argsort(-p, kind="stable")
    ranked = p[order]
    positives, negatives = p.sum(), (1 - p).sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    last_of_tie = np.append(np.flatnonzero(np.diff(ranked) != 0), ranked.size - 1)
    tpr = np.concatenate(([0.0], np.cumsum(ranked)[last_of_tie] / positives))
    fpr = np.concatenate(([0.0], np.cumsum(1 - ranked)[last_of_tie] / negatives))
    # numpy 2 renamed trapz to trapezoid (1.26 has only trapz, 2.x's stubs only trapezoid)
    integrate = np.trapezoid if hasattr(np, "trapezoid") else getattr(np, "trapz")  # noqa: B009
    return float(integrate(tpr, fpr))
