"""Explanation drift: has what drives the model moved? The mean |SHAP| of each feature over a
window of the prediction log, next to the same figure on the training rows (stored with the
version at registration).

A feature is flagged when its share of the total mean |SHAP| moves by at least
``SHARE_SHIFT`` (5 points): a feature that went from a tenth to a fifth of what the model
listens to is worth a look even when its values have not drifted, and a drifting feature
the model ignores matters less.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import InvalidInput
from .artifacts import explainers, values_until

if TYPE_CHECKING:
    from ..project import Project


class Window(Protocol):
    """What an explanation drift reads of a monitoring window (``monitoring.windows.Window``,
    a layer beside this one: named by its shape, not imported)."""

    @property
    def model(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def frame(self) -> Any: ...  # the logged rows, a DataFrame


SHARE_SHIFT = 0.05
MAX_ROWS = 300  # SHAP on the last rows of a longer window: enough for a mean, and fast
# rows explained at a time, newest first, between asks whether the verdicts are settled; and
# at most, where fewer than MAX_ROWS: the permutation explainer costs a tenth of a second a
# row or more (TreeSHAP and the linear explainer, milliseconds)
SETTLE_AFTER = {"tree": 100, "linear": 100, "permutation": 20}
MOST_ROWS = {"permutation": 100}


@dataclass
class FeatureShift:
    name: str
    reference: float  # mean |SHAP| on the training rows
    current: float  # mean |SHAP| on the window
    reference_share: float
    current_share: float
    shifted: bool

    @property
    def change(self) -> float:
        return self.current - self.reference


@dataclass
class ExplanationDrift:
    version: str
    rows: int
    output_name: str
    features: list[FeatureShift] = field(default_factory=list)

    @property
    def shifted(self) -> list[str]:
        return [f.name for f in self.features if f.shifted]

    def __getitem__(self, name: str) -> FeatureShift:
        return next(f for f in self.features if f.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rows": self.rows,
            "output_name": self.output_name,
            "shifted": self.shifted,
            "features": [{**asdict(f), "change": f.change} for f in self.features],
        }


def explanation_drift(
    project: Project, window: Window, *, max_rows: int = MAX_ROWS
) -> ExplanationDrift:
    """The shift in mean |SHAP| per feature between the version's training rows and
    ``window`` (a :class:`~mlmom_lab.monitoring.windows.Window` of that version): on its
    last ``max_rows`` rows (:data:`MOST_ROWS` for a slow explainer), or on fewer of the
    newest once the verdicts are settled."""
    if window.rows == 0:
        raise InvalidInput(f"the window of version {window.version} has no logged predictions")
    loaded = explainers(project, f"{window.model}/{window.version}")
    reference = loaded.importance.mean_abs()
    ref = np.array([reference.get(f, 0.0) for f in loaded.view.features])
    ref_share = _shares(ref)
    kind = loaded.view.kind
    most = min(max_rows, MOST_ROWS.get(kind, max_rows))
    newest_first = window.frame.tail(most).iloc[::-1][loaded.view.features]
    magnitudes = _settled_magnitudes(loaded.shap, newest_first, ref_share, SETTLE_AFTER[kind])
    current = magnitudes.mean(axis=0)
    cur_share = _shares(current)
    features = [
        FeatureShift(
            name,
            float(ref[i]),
            float(current[i]),
            float(ref_share[i]),
            float(cur_share[i]),
            bool(abs(cur_share[i] - ref_share[i]) >= SHARE_SHIFT),
        )
        for i, name in enumerate(loaded.view.features)
    ]
    return ExplanationDrift(
        window.version, len(magnitudes), loaded.importance.output_name, features
    )


def _settled_magnitudes(
    explainer: Any, rows: Any, ref_share: np.ndarray, at_a_time: int
) -> np.ndarray:
    """|SHAP| of ``rows``, ``at_a_time`` rows at a time, until no more rows could change which
    features shifted: a clear verdict needs fewer rows than a close one."""
    values, _ = values_until(
        lambda part: explainer.values(rows.iloc[part]),
        len(rows),
        at_a_time,
        lambda so_far: _verdicts_settled(np.abs(so_far), ref_share),
    )
    magnitudes: np.ndarray = np.abs(values)
    return magnitudes


def _verdicts_settled(magnitudes: np.ndarray, ref_share: np.ndarray) -> bool:
    """Whether each feature's share of the mean |SHAP| lies more than two standard errors
    from both edges of its tolerance (the reference share, plus or minus :data:`SHARE_SHIFT`)."""
    n = len(magnitudes)
    totals = magnitudes.sum(axis=1)
    if n < 2 or totals.mean() <= 0:
        return False
    share = magnitudes.mean(axis=0) / totals.mean()
    # a share is a ratio of two means: its standard error by the delta method
    residuals = magnitudes - np.outer(totals, share)
    error = residuals.std(axis=0, ddof=1) / np.sqrt(n) / totals.mean()
    margin = np.abs(np.abs(share - ref_share) - SHARE_SHIFT)
    return bool(np.all(margin > 2 * error))


def stored_explanation_drift(project: Project, window: Window) -> ExplanationDrift | None:
    """:func:`explanation_drift`, or None for a version registered without explanations."""
    from ..errors import NotFound

    try:
        return explanation_drift(project, window)
    except NotFound:
        return None


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)
