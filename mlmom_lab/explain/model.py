"""A fitted model as the explainers see it: its input features, the output they explain, and
how its preprocessing maps the estimator's columns back to those features.

Explanations are always given per *input* feature (``contract``, not its one-hot column
``categorical__contract_month-to-month``): SHAP values of the columns a feature became are
summed, which keeps them additive. A scikit-learn ``Pipeline`` whose preprocessing is one
``ColumnTransformer`` is opened up, so a tree or linear model behind it gets SHAP's exact
explainer; any other model is explained through its output alone (permutation SHAP).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput

if TYPE_CHECKING:
    from typing import TypeAlias

    import pandas as pd

    Rows: TypeAlias = pd.DataFrame | list[dict[str, Any]]  # a frame, or records

Kind = str  # "tree", "linear" or "permutation"


@dataclass
class ModelView:
    """What the explainers need of one fitted model.

    ``outputs`` gives every output the model has, one column each: a classifier's classes
    (probability, or log-odds / margin where the exact explainer works in them), else the one
    prediction. An explanation is of one column per row: the class asked for, else the
    predicted class of a multiclass model and the positive (last) class of a binary one.
    """

    model: Any
    features: list[str]
    dtypes: dict[str, str]  # feature -> pandas dtype of the reference data
    kind: Kind
    output_names: list[str]  # per column of ``outputs``, e.g. "probability of 'pro'"
    outputs: Callable[[Any], np.ndarray]  # DataFrame of features -> (rows, columns)
    classes: list[Any] | None = None  # a classifier's labels, in the order of the columns
    estimator: Any = None  # the last step, read by SHAP's tree and linear explainers
    transform: Callable[[Any], np.ndarray] | None = None  # features -> the estimator's matrix
    groups: np.ndarray | None = None  # the estimator's column -> index of its input feature
    tree: Any = field(default=None, repr=False)  # shap.TreeExplainer, built once

    @property
    def output_name(self) -> str:
        """What the explanations of many rows explain, said once."""
        if self.classes is None:
            return self.output_names[0]
        if len(self.classes) == 2:
            return self.output_names[1]
        return self.output_names[0].split(" of ")[0] + " of the predicted class"

    @property
    def shap_is_arithmetic(self) -> bool:
        """Whether the exact SHAP values need none of the model's code: TreeSHAP on shap's
        own copy of a scikit-learn ensemble's trees (XGBoost's and LightGBM's run inside the
        library, on its own threads)."""
        return self.kind == "tree" and getattr(self.tree.model, "model_type", "") == "internal"

    def columns(self, frame: pd.DataFrame, target: Any = None) -> np.ndarray:
        """Which output column each row's explanation is of (see the class docstring)."""
        rows = len(frame)
        if self.classes is None:
            if target is not None:
                raise InvalidInput(f"class {target!r}: this model answers one value, not classes")
            return np.zeros(rows, dtype=int)
        index = {str(c): i for i, c in enumerate(self.classes)}
        if target is not None:
            if str(target) not in index:
                raise InvalidInput(
                    f"class {target!r} is not one of the model's classes "
                    f"({', '.join(map(str, self.classes))})"
                )
            return np.full(rows, index[str(target)])
        if len(self.classes) == 2:
            return np.ones(rows, dtype=int)
        return np.array([index[str(_plain(p))] for p in self.model.predict(frame)], dtype=int)

    def frame(self, rows: Rows) -> pd.DataFrame:
        """``rows`` (a DataFrame or records) as the model's input: its columns, its dtypes."""
        import pandas as pd

        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        frame = frame.reindex(columns=self.features)
        for name, dtype in self.dtypes.items():
            if np.dtype(dtype).kind in "iufb":
                # a logged integer column with a gap arrives as floats with NaN: keep them
                frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(
                    dtype if frame[name].notna().all() else "float64"
                )
            else:
                frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        return frame

    def per_feature(self, values: np.ndarray) -> np.ndarray:
        """SHAP values of the estimator's columns summed into the input features' values."""
        if self.groups is None:
            return values
        totals = np.zeros((values.shape[0], len(self.features)))
        np.add.at(totals.T, self.groups, values.T)
        return totals


def view(model: Any, reference: pd.DataFrame) -> ModelView:
    """The view of ``model``, whose inputs are the columns of ``reference`` (a DataFrame)."""
    features = [str(c) for c in reference.columns]
    dtypes = {c: str(reference[c].dtype) for c in features}
    steps = getattr(model, "steps", None)
    pre, estimator = (model[:-1], steps[-1][1]) if steps else (None, model)
    groups = _groups(pre, features) if pre is not None else _identity(reference)
    kind, tree = _kind(estimator, groups)
    names, outputs, classes = _outputs(model, estimator, kind, tree)
    transform: Callable[[pd.DataFrame], np.ndarray] | None = None
    if pre is not None:

        def preprocess(frame: pd.DataFrame, pre: Any = pre) -> np.ndarray:
            return _dense(pre.transform(frame))

        transform = preprocess
    elif groups is not None:

        def as_matrix(frame: pd.DataFrame) -> np.ndarray:
            matrix: np.ndarray = frame.to_numpy(dtype=float)
            return matrix

        transform = as_matrix
    return ModelView(
        model, features, dtypes, kind, names, outputs, classes, estimator, transform, groups, tree
    )


def _kind(estimator: Any, groups: np.ndarray | None) -> tuple[Kind, Any]:
    """``tree`` when SHAP's TreeExplainer reads the estimator, ``linear`` for a linear model,
    else ``permutation``; the first two only when every column maps back to one feature."""
    if groups is None:
        return "permutation", None
    import shap

    with contextlib.suppress(Exception):  # SHAP says "model type not yet supported" many ways
        return "tree", shap.TreeExplainer(estimator)
    module = type(estimator).__module__
    if module.startswith("sklearn.linear_model") and hasattr(estimator, "coef_"):
        return "linear", None
    return "permutation", None


def _outputs(
    model: Any, estimator: Any, kind: Kind, tree: Any
) -> tuple[list[str], Callable[[pd.DataFrame], np.ndarray], list[Any] | None]:
    """The outputs SHAP explains for this kind, their names and the classes: each class's
    probability, or its log-odds (margin, for more than two classes) where the exact
    explainer works in them; else the prediction."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return (
            ["prediction"],
            lambda frame: np.asarray(model.predict(frame), dtype=float).reshape(len(frame), -1)[
                :, :1
            ],
            None,
        )
    labels = [_plain(c) for c in classes]
    in_margins = kind == "linear" or (kind == "tree" and tree.model.tree_output != "probability")
    if not in_margins:
        return (
            [f"probability of {c!r}" for c in labels],
            lambda frame: np.asarray(model.predict_proba(frame), dtype=float),
            labels,
        )
    scale = "log-odds" if len(labels) == 2 else "margin"
    return (
        [f"{scale} of {c!r}" for c in labels],
        lambda frame: _by_class(_margins(model, estimator, frame), len(labels)),
        labels,
    )


def _margins(model: Any, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """The raw scores the exact explainer works in (before the sigmoid or softmax)."""
    if hasattr(estimator, "decision_function"):
        return np.asarray(model.decision_function(frame), dtype=float)
    library = type(estimator).__module__.split(".")[0]
    margin = {"xgboost": {"output_margin": True}, "lightgbm": {"raw_score": True}}[library]
    return np.asarray(model.predict(frame, **margin), dtype=float)  # a Pipeline passes it on


def _by_class(margin: np.ndarray, classes: int) -> np.ndarray:
    """One column per class: a binary model's one log-odds column is class 1's, class 0's
    is its negation."""
    if margin.ndim == 1 or margin.shape[1] == 1:
        margin = margin.reshape(-1)
        return np.column_stack([-margin, margin]) if classes == 2 else margin[:, None]
    return margin


def _plain(label: Any) -> Any:
    """A label as the user wrote it: numpy scalars as Python, 1.0 read back from parquet as 1."""
    label = label.item() if hasattr(label, "item") else label
    return int(label) if isinstance(label, float) and label.is_integer() else label


def _groups(pre: Any, features: list[str]) -> np.ndarray | None:
    """Which input feature each output column of the preprocessing comes from, or None when
    the preprocessing is neither one ``ColumnTransformer`` of per-column transformers nor
    steps that each keep their columns (scalers, imputers)."""
    from sklearn.compose import ColumnTransformer

    steps = getattr(pre, "steps", [("", pre)])
    if len(steps) != 1 or not isinstance(steps[0][1], ColumnTransformer):
        return _column_for_column(pre, features)
    transformer = steps[0][1]
    width = sum(s.stop - s.start for s in transformer.output_indices_.values())
    groups = np.full(width, -1)
    for name, fitted, columns in transformer.transformers_:
        span = transformer.output_indices_[name]
        if span.stop == span.start:
            continue
        mapped = _columns_of(fitted, _names(columns, features), span.stop - span.start)
        if mapped is None:
            return None
        groups[span] = [features.index(c) for c in mapped]
    return groups if (groups >= 0).all() else None


def _column_for_column(pre: Any, features: list[str]) -> np.ndarray | None:
    """Identity groups when the preprocessing gives back the columns it took, by name."""
    try:
        kept = [str(c) for c in pre.get_feature_names_out(features)] == features
    except Exception:  # noqa: BLE001 - a step that cannot name its outputs
        return None
    return np.arange(len(features)) if kept else None


def _names(columns: Any, features: list[str]) -> list[str]:
    """The names of a ColumnTransformer's columns: a slice, a mask, names or indices."""
    if isinstance(columns, slice) or np.asarray(columns).dtype == bool:
        return list(np.asarray(features)[columns])
    return [features[c] if isinstance(c, (int, np.integer)) else str(c) for c in columns]


def _columns_of(fitted: Any, columns: list[str], width: int) -> list[str] | None:
    """The input column of each of a transformer's ``width`` outputs."""
    if len(columns) == 1:
        return columns * width
    if width == len(columns):
        return columns
    encoder = getattr(fitted, "steps", [(None, fitted)])[-1][1]
    categories = getattr(encoder, "categories_", None)
    if (
        categories is None
        or hasattr(encoder, "infrequent_categories_")
        and any(c is not None for c in encoder.infrequent_categories_)
    ):
        return None
    drop = getattr(encoder, "drop_idx_", None)
    sizes = [len(c) - (drop is not None and drop[i] is not None) for i, c in enumerate(categories)]
    if sum(sizes) != width:
        return None
    return [c for c, n in zip(columns, sizes) for _ in range(n)]


def _identity(reference: pd.DataFrame) -> np.ndarray | None:
    """A bare estimator on all-numeric features reads them as they are."""
    numeric = all(np.dtype(reference[c].dtype).kind in "iufb" for c in reference.columns)
    return np.arange(reference.shape[1]) if numeric else None


def _dense(matrix: Any) -> np.ndarray:  # a numpy or scipy.sparse matrix
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)


@dataclass
class Codec:
    """Features as a float matrix for the model-agnostic explainers (LIME, permutation SHAP):
    a category becomes its index among the values seen, a missing value NaN."""

    view: ModelView
    categories: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, view: ModelView, *frames: pd.DataFrame) -> Codec:
        categories = {}
        for name, dtype in view.dtypes.items():
            if np.dtype(dtype).kind not in "iufb":
                seen = {v for f in frames for v in f[name] if v is not None and v == v}  # noqa: PLR0124 - not NaN
                categories[name] = sorted(seen, key=str)
        return cls(view, categories)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = frame.copy()
        for name, values in self.categories.items():
            index = {v: float(i) for i, v in enumerate(values)}
            out[name] = [index.get(v, np.nan) for v in frame[name]]
        encoded: np.ndarray = out.to_numpy(dtype=float)
        return encoded

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(matrix, columns=self.view.features)
        for name, values in self.categories.items():
            codes = frame[name].to_numpy()
            frame[name] = [
                None if c != c else values[int(round(c))]  # noqa: PLR0124, RUF046 - NaN
                for c in codes
            ]
        return self.view.frame(frame)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Every output of encoded rows, one column each (what permutation SHAP calls)."""
        return self.view.outputs(self.decode(matrix))
