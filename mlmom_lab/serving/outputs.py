"""What a model version answers: its predictions, and the types and classes it answers in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import v2_datatype


@dataclass
class Prediction:
    """What a model said about a batch: labels (or values) and class probabilities."""

    values: np.ndarray
    probabilities: np.ndarray | None = None
    classes: list[Any] | None = None
    engine: str = "native"


@dataclass(frozen=True)
class OutputSpec:
    """What a version answers, in the types the model itself answers in (read from its own
    answer to its input example): v2 metadata lists it, and the twin's answers are given in
    it, so the engine that answered never shows in a type."""

    values: np.dtype
    probabilities: np.dtype | None = None
    classes: tuple[Any, ...] = ()

    @classmethod
    def of(cls, prediction: Prediction) -> OutputSpec:
        probabilities = prediction.probabilities
        return cls(
            prediction.values.dtype,
            None if probabilities is None else probabilities.dtype,
            tuple(prediction.classes or ()),
        )

    def as_v2(self) -> list[dict[str, Any]]:
        """The outputs as Open Inference v2 model metadata lists them."""
        outputs: list[dict[str, Any]] = [
            {"name": "predict", "datatype": v2_datatype(self.values), "shape": [-1]}
        ]
        if self.probabilities is not None:
            outputs.append(
                {
                    "name": "predict_proba",
                    "datatype": v2_datatype(self.probabilities),
                    "shape": [-1, len(self.classes)],
                    "parameters": {"classes": [str(c) for c in self.classes]},
                }
            )
        return outputs

    def to_json(self) -> str:
        """Stored with a version (``mlmom.outputs``): a server reads it instead of asking the
        model, so its ONNX twin answers before the model itself has loaded."""
        import json

        return json.dumps(
            {
                "values": self.values.str,
                "probabilities": None if self.probabilities is None else self.probabilities.str,
                "classes": [c.item() if isinstance(c, np.generic) else c for c in self.classes],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> OutputSpec:
        import json

        stored = json.loads(text)
        probabilities = stored.get("probabilities")
        return cls(
            np.dtype(stored["values"]),
            None if probabilities is None else np.dtype(probabilities),
            tuple(stored.get("classes") or ()),
        )

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        """The most probable class of each row, in the type the model's labels have."""
        labels: np.ndarray = np.asarray(self.classes, dtype=object)[
            probabilities.argmax(axis=1)
        ].astype(self.values)
        return labels

    def conform(self, prediction: Prediction) -> Prediction:
        """``prediction`` in the model's own types (a float32 twin's answers as float64)."""
        values = prediction.values.astype(self.values, copy=False)
        probabilities = prediction.probabilities
        if probabilities is not None and self.probabilities is not None:
            probabilities = probabilities.astype(self.probabilities, copy=False)
        return Prediction(values, probabilities, prediction.classes, prediction.engine)
