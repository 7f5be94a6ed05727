"""A loaded model version, predicting with ONNX Runtime or natively, whichever is faster.

ONNX Runtime answers one row 30-1000x faster than scikit-learn but loses on large batches of
tree ensembles, so for each request the runtime uses ONNX Runtime only for batch sizes where
it was faster: as measured at registration when this machine is like the one that measured
(else measured again at load). A version without a parity-checked ONNX twin runs natively.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..registry.onnx import column_feeds
from .schema import InputSchema, from_signature


@dataclass
class Prediction:
    """What a model said about a batch: labels (or values) and class probabilities."""

    values: np.ndarray
    probabilities: np.ndarray | None = None
    classes: list[Any] | None = None
    engine: str = "native"


@dataclass
class ModelRuntime:
    """One version ready to predict; ``onnx_below`` is the batch size from which native wins."""

    name: str
    version: str
    schema: InputSchema
    native: Any
    onnx: Any = None
    onnx_inputs: list[tuple[str, str]] = field(default_factory=list)
    onnx_below: int = 0
    load_seconds: float = 0.0
    task: str = ""
    batcher: Any = field(default=None, repr=False, compare=False)  # set by the serving app

    def predict(self, columns: dict[str, np.ndarray]) -> Prediction:
        rows = len(next(iter(columns.values())))
        if self.onnx is not None and rows < self.onnx_below:
            return self._predict_onnx(columns)
        return self._predict_native(columns)

    def _predict_native(self, columns: dict[str, np.ndarray]) -> Prediction:
        import pandas as pd

        frame = pd.DataFrame(columns, columns=self.schema.names)
        values = np.asarray(self.native.predict(frame))
        if hasattr(self.native, "predict_proba"):
            return Prediction(values, np.asarray(self.native.predict_proba(frame)),
                              list(self.native.classes_), "native")
        return Prediction(values, engine="native")

    def _predict_onnx(self, columns: dict[str, np.ndarray]) -> Prediction:
        outputs = self.onnx.run(None, column_feeds(columns, self.onnx_inputs))
        if hasattr(self.native, "predict_proba"):
            return Prediction(np.asarray(outputs[0]), np.asarray(outputs[1]),
                              list(self.native.classes_), "onnx")
        return Prediction(np.asarray(outputs[0]).reshape(-1), engine="onnx")


def load(project, ref: str, *, providers: list[str] | None = None) -> ModelRuntime:
    """Load ``ref`` (``3``, ``champion``, ``model@champion``), warm it and calibrate it."""
    from .. import registry
    from ..mlflow_store import client, use_project

    began = time.perf_counter()
    use_project(project)
    name, version = registry.parse_ref(ref, project.spec.model)
    info = registry.get_version(name, version, project)
    onnx_path = (client(project).download_artifacts(info.run_id, "onnx/model.onnx")
                 if info.onnx.get("status") == "ok" else None)
    return assemble(info.name, info.version, info.task, info.source, info.onnx, onnx_path,
                    providers=providers, began=began)


def load_bundle(folder: Path, *, providers: list[str] | None = None) -> ModelRuntime:
    """Load a version exported by :func:`mlmom_lab.deploy.bundle.export` (no registry needed)."""
    import json

    began = time.perf_counter()
    meta = json.loads((folder / "version.json").read_text())
    onnx_path = folder / "model.onnx" if meta["onnx"].get("status") == "ok" else None
    return assemble(meta["name"], meta["version"], meta["task"], str(folder / "model"),
                    meta["onnx"], onnx_path, providers=providers, began=began)


def assemble(name: str, version: str, task: str, model_uri: str, onnx: dict[str, Any],
             onnx_path: str | Path | None, *, providers: list[str] | None = None,
             began: float | None = None) -> ModelRuntime:
    """A runtime from an MLflow model and, when it passed parity, its ONNX twin; warm."""
    import mlflow
    import mlflow.sklearn

    began = time.perf_counter() if began is None else began
    native = mlflow.sklearn.load_model(model_uri)
    schema = from_signature(mlflow.models.Model.load(model_uri).signature)
    runtime = ModelRuntime(name, version, schema, native, task=task)
    if onnx_path is not None:
        from ..registry.onnx import session

        runtime.onnx = session(str(onnx_path), providers)
        runtime.onnx_inputs = [tuple(pair) for pair in onnx["inputs"]]
        runtime.onnx_below = calibrate(runtime, _example(model_uri, schema), onnx)
    runtime.load_seconds = time.perf_counter() - began
    return runtime


def _example(source: str, schema: InputSchema) -> dict[str, np.ndarray]:
    """The version's input example (stored with the model) as columns."""
    import mlflow

    frame = mlflow.models.Model.load(source).load_input_example(
        mlflow.artifacts.download_artifacts(source))
    return schema.validate({c: frame[c].tolist() for c in frame.columns})


def calibrate(runtime: ModelRuntime, example: dict[str, np.ndarray],
              stored: dict[str, Any] | None = None) -> int:
    """The batch size from which native beats ONNX Runtime (0: never ONNX): the one stored
    at registration when it was measured on hardware like this, else measured now. Either
    way both engines have answered the example once, so the first request finds them warm."""
    from ..registry.onnx import crossover, usable_calibration

    below = usable_calibration(stored or {}, runtime.onnx)
    if below is None:
        return crossover(runtime._predict_native, runtime._predict_onnx, example)
    runtime._predict_onnx(example)
    runtime._predict_native(example)
    return below
