"""ONNX export of scikit-learn models, accepted only after a parity check.

A pipeline whose ColumnTransformer picks columns by name becomes an ONNX graph with one
input per column (floats for numbers, strings for categories); a purely numeric estimator
becomes one 2-D float input. The graph is kept only when ONNX Runtime's outputs match
scikit-learn's on held-out rows (probabilities for classifiers, predictions for regressors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PARITY_TOLERANCE = 1e-4


@dataclass
class OnnxResult:
    """What happened to a model's ONNX export; ``model`` is the ONNX bytes when it passed."""

    status: str  # ok | failed | skipped
    reason: str = ""
    max_diff: float | None = None
    rows: int = 0
    inputs: list[tuple[str, str]] = field(default_factory=list)
    model: bytes | None = None

    def tags(self) -> dict[str, str]:
        import json

        tags = {"mlmom.onnx": self.status}
        if self.reason:
            tags["mlmom.onnx.reason"] = self.reason[:4000]
        if self.max_diff is not None:
            tags["mlmom.onnx.max_diff"] = f"{self.max_diff:.3g}"
            tags["mlmom.onnx.parity_rows"] = str(self.rows)
        if self.inputs:
            tags["mlmom.onnx.inputs"] = json.dumps(self.inputs)
        return tags


def export(model: Any, held_out, *, tolerance: float = PARITY_TOLERANCE) -> OnnxResult:
    """Convert ``model`` with skl2onnx and check it against scikit-learn on ``held_out`` rows."""
    if not _is_sklearn(model):
        return OnnxResult("skipped", f"{type(model).__name__} is not a scikit-learn estimator")
    try:
        onx, inputs = _convert(model, held_out)
        diff = _parity(model, onx, inputs, held_out)
    except Exception as exc:  # skl2onnx raises many types for unsupported models
        return OnnxResult("failed", f"conversion failed: {type(exc).__name__}: {_short(exc)}")
    if diff > tolerance:
        return OnnxResult("failed", f"parity check failed: max difference {diff:.3g} > {tolerance}",
                          max_diff=diff, rows=len(held_out), inputs=inputs)
    return OnnxResult("ok", max_diff=diff, rows=len(held_out), inputs=inputs, model=onx)


def _is_sklearn(model: Any) -> bool:
    return type(model).__module__.startswith("sklearn.") and hasattr(model, "fit")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""


def _uses_column_names(model: Any) -> bool:
    from sklearn.compose import ColumnTransformer

    steps = getattr(model, "steps", [])
    return any(isinstance(step, ColumnTransformer) for _, step in steps)


def _convert(model: Any, frame) -> tuple[bytes, list[tuple[str, str]]]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    if _uses_column_names(model):
        inputs = [(str(c), "string" if _is_text(frame[c]) else "float") for c in frame.columns]
        types = [(n, StringTensorType([None, 1]) if t == "string" else FloatTensorType([None, 1]))
                 for n, t in inputs]
    else:
        inputs = [("input", "float")]
        types = [("input", FloatTensorType([None, frame.shape[1]]))]
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    onx = convert_sklearn(model, initial_types=types, options=options)
    return onx.SerializeToString(), inputs


def _is_text(column) -> bool:
    return column.dtype == object or str(column.dtype) in ("string", "category")


def feeds(frame, inputs: list[tuple[str, str]]) -> dict[str, Any]:
    """ONNX Runtime inputs for a DataFrame, shaped as the exported graph expects."""
    import numpy as np

    if inputs == [("input", "float")]:
        return {"input": frame.to_numpy(dtype=np.float32)}
    out = {}
    for name, kind in inputs:
        column = frame[[name]]
        out[name] = column.astype(str).to_numpy() if kind == "string" else column.to_numpy(np.float32)
    return out


def _parity(model: Any, onx: bytes, inputs: list[tuple[str, str]], frame) -> float:
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(onx, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds(frame, inputs))
    if hasattr(model, "predict_proba"):
        expected, got = model.predict_proba(frame), outputs[1]
    else:
        expected, got = model.predict(frame), outputs[0].reshape(-1)
        scale = max(1.0, float(np.abs(expected).max()))
        return float(np.abs(np.asarray(got, float) - expected).max() / scale)
    return float(np.abs(np.asarray(got, float) - expected).max())
