"""SHAP and LIME behind one small interface: ``explain(rows)`` gives one
:class:`Explanation` per row, contributions per input feature.

SHAP picks its exact explainer where the model allows it (TreeExplainer for tree ensembles,
LinearExplainer for linear models) and falls back to the permutation explainer over a small
background sample; all three are additive: the base value plus the contributions is the
model's output for the row. LIME fits a local linear surrogate on perturbed rows; its
contributions are the surrogate's weights, its ``fit`` the surrogate's R².
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .interpreted import interpreted_masking
from .model import Codec, ModelView

if TYPE_CHECKING:
    import pandas as pd

    from .model import Rows

PERMUTATION_BACKGROUND = 50  # rows the permutation explainer averages over
LIME_SAMPLES = 2000


@dataclass
class Explanation:
    """Why the model gave ``output`` for one row: ``base`` plus per-feature contributions."""

    method: str  # "shap" or "lime"
    algorithm: str  # "tree", "linear", "permutation" (SHAP) or "lime"
    output_name: str
    output: float  # the model's output for the row, the quantity explained
    base: float  # SHAP's expected value over the background; LIME's intercept
    contributions: dict[str, float]
    conditions: dict[str, str] | None = None  # LIME: the bin each feature fell in
    fit: float | None = None  # LIME: R² of its local surrogate
    target: Any = None  # the class whose output is explained (None: a model of one value)

    @property
    def total(self) -> float:
        """The base plus every contribution: SHAP's reconstruction of ``output``."""
        return self.base + float(sum(self.contributions.values()))

    def ranked(self) -> list[tuple[str, float]]:
        """Contributions, largest magnitude first."""
        return sorted(self.contributions.items(), key=lambda kv: -abs(kv[1]))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


class Explainer(Protocol):
    method: str

    def explain(self, rows: Rows, target: Any = None) -> list[Explanation]: ...


class ShapExplainer:
    """SHAP values per input feature, by the exact explainer the model allows."""

    method = "shap"

    def __init__(self, view: ModelView, background: Rows) -> None:
        self.view = view
        self.background = view.frame(background)
        self._linear: Any = None  # shap.LinearExplainer, built once
        self._permutation: Any = None
        self._codec: Codec | None = None

    def values(self, rows: Rows, target: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values (rows x features) and the base value of each row, of the output each
        row's explanation is of (:meth:`ModelView.columns`)."""
        frame = self.view.frame(rows)
        if self.view.kind != "permutation":
            return self.exact_values(*self.inputs(frame, target))
        raw, base = self._by_permutation(frame)  # it works on the features themselves
        raw, base = _per_output(raw, base, len(self.view.output_names))
        columns = self.view.columns(frame, target)
        return raw[np.arange(len(frame)), :, columns], base[columns]

    def inputs(self, rows: Rows, target: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """What :meth:`exact_values` takes for ``rows``: the estimator's matrix, and which
        output each row is explained for (both need the model's own code)."""
        frame = self.view.frame(rows)
        return self._matrix(frame), self.view.columns(frame, target)

    def exact_values(
        self, matrix: np.ndarray, columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The tree or linear explainer's SHAP values (rows x features) and base values for
        the estimator's ``matrix``, of output ``columns`` per row: the explainer's arithmetic
        only, none of the model's code (TreeSHAP on shap's own copy of a scikit-learn
        ensemble's trees runs in C++ on numbers alone)."""
        explainer = self.view.tree if self.view.kind == "tree" else self._linear_explainer()
        raw = explainer.shap_values(matrix)
        raw = np.stack(raw, axis=-1) if isinstance(raw, list) else np.asarray(raw, dtype=float)
        base = np.ravel(explainer.expected_value).astype(float)
        raw, base = _per_output(raw, base, len(self.view.output_names))
        picked = raw[np.arange(len(matrix)), :, columns]
        return self.view.per_feature(picked), base[columns]

    def explain(self, rows: Rows, target: Any = None) -> list[Explanation]:
        frame = self.view.frame(rows)
        values, base = self.values(frame, target)
        columns = self.view.columns(frame, target)
        outputs = self.view.outputs(frame)
        return [
            Explanation(
                "shap",
                self.view.kind,
                self.view.output_names[c],
                float(outputs[i, c]),
                float(base[i]),
                dict(zip(self.view.features, map(float, values[i]))),
                target=_class(self.view, c),
            )
            for i, c in enumerate(columns)
        ]

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The estimator's input: the tree and linear kinds have a transform (see view)."""
        assert self.view.transform is not None
        return self.view.transform(frame)

    def _linear_explainer(self) -> Any:
        if self._linear is None:
            import shap

            masker = shap.maskers.Independent(
                self._matrix(self.background), max_samples=len(self.background)
            )
            self._linear = shap.LinearExplainer(self.view.estimator, masker)
        return self._linear

    def _by_permutation(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        import shap

        codec = Codec.of(self.view, self.background, frame)
        sample = self.background.head(PERMUTATION_BACKGROUND)
        explainer = shap.PermutationExplainer(
            codec.predict,
            shap.maskers.Independent(codec.encode(sample), max_samples=len(sample)),
            seed=0,
        )
        with interpreted_masking():  # no numba compile: seconds in every process
            result = explainer(codec.encode(frame), silent=True)
        base = np.asarray(result.base_values, dtype=float)
        return np.asarray(result.values, dtype=float), base.reshape(len(frame), -1)[0]


class LimeExplainer:
    """LIME's tabular explainer on the input features (categories as categories)."""

    method = "lime"

    def __init__(
        self, view: ModelView, background: Rows, *, samples: int = LIME_SAMPLES, seed: int = 0
    ) -> None:
        self.view = view
        self.background = view.frame(background)
        self.samples, self.seed = samples, seed

    def explain(self, rows: Rows, target: Any = None) -> list[Explanation]:
        from lime.lime_tabular import LimeTabularExplainer

        frame = self.view.frame(rows)
        codec = Codec.of(self.view, self.background, frame)
        training = codec.encode(self.background)
        fill = np.nan_to_num(np.nanmedian(training, axis=0))  # LIME cannot bin a gap
        training = np.where(np.isnan(training), fill, training)
        features = self.view.features
        categorical = [features.index(c) for c in codec.categories]
        explainer = LimeTabularExplainer(
            training,
            mode="regression",
            feature_names=features,
            categorical_features=categorical,
            random_state=self.seed,
            categorical_names={
                features.index(c): [str(v) for v in values]
                for c, values in codec.categories.items()
            },
        )
        encoded = codec.encode(frame)
        encoded = np.where(np.isnan(encoded), fill, encoded)
        columns = self.view.columns(frame, target)
        return [self._one(explainer, codec, row, c) for row, c in zip(encoded, columns)]

    def _one(self, explainer: Any, codec: Codec, row: np.ndarray, column: int) -> Explanation:
        found = explainer.explain_instance(
            row,
            lambda m: codec.predict(m)[:, column],
            num_features=len(row),
            num_samples=self.samples,
        )
        features = self.view.features
        weights = found.local_exp[1]
        labels = [label for label, _ in found.as_list(label=1)]
        contributions = {f: 0.0 for f in features}
        conditions = {}
        for (index, weight), label in zip(weights, labels):
            contributions[features[index]] = float(weight)
            conditions[features[index]] = label
        return Explanation(
            "lime",
            "lime",
            self.view.output_names[column],
            float(found.predicted_value),
            float(found.intercept[1]),
            contributions,
            conditions,
            float(found.score),
            _class(self.view, column),
        )


def _per_output(raw: np.ndarray, base: np.ndarray, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values as (rows, features, outputs) and one base per output, whatever shape the
    explainer gave: a binary model's one log-odds output is class 1's, class 0's its negation."""
    if raw.ndim == 2:
        raw = raw[..., None]
    if raw.shape[2] == 1 and outputs == 2:
        raw, base = np.concatenate([-raw, raw], axis=2), np.array([-base[-1], base[-1]])
    return raw, base


def _class(view: ModelView, column: int) -> Any:
    return None if view.classes is None else view.classes[column]
