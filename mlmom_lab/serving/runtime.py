"""A loaded model version, predicting with ONNX Runtime or natively, whichever is faster.

ONNX Runtime answers one row 30-1000x faster than scikit-learn but loses on large batches of
tree ensembles (see the shared notes), so the runtime measures both engines when it loads
(warming them up at the same time) and, for each request, uses ONNX Runtime only for batch
sizes where it was faster. A version without a parity-checked ONNX twin runs natively.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidRequest
from .schema import InputSchema, from_signature

CALIBRATION_SIZES = (1, 16, 256, 2048)


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
        outputs = self.onnx.run(None, _feeds(columns, self.onnx_inputs))
        if hasattr(self.native, "predict_proba"):
            return Prediction(np.asarray(outputs[0]), np.asarray(outputs[1]),
                              list(self.native.classes_), "onnx")
        return Prediction(np.asarray(outputs[0]).reshape(-1), engine="onnx")


def _feeds(columns: dict[str, np.ndarray], inputs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """ONNX inputs straight from the columns: no DataFrame on this path."""
    if inputs == [("input", "float")]:
        return {"input": np.column_stack([c.astype(np.float32) for c in columns.values()])}
    feeds = {}
    for name, kind in inputs:
        column = columns[name]
        feeds[name] = (column.astype(str) if kind == "string"
                       else column.astype(np.float32)).reshape(-1, 1)
    return feeds


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
        runtime.onnx = _session(str(onnx_path), providers)
        runtime.onnx_inputs = [tuple(pair) for pair in onnx["inputs"]]
        runtime.onnx_below = calibrate(runtime, _example(model_uri, schema))
    runtime.load_seconds = time.perf_counter() - began
    return runtime


def _session(path: str, providers: list[str] | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per worker: a served batch is small, and ONNX Runtime's default pool (one
    # spinning thread per core) burns the cores the other workers and the HTTP parsing need.
    options.intra_op_num_threads = int(os.environ.get("MLMOM_ONNX_THREADS", "1"))
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=options,
                                providers=execution_providers(providers))


def execution_providers(requested: list[str] | None = None) -> list[str]:
    """The providers to use: those asked for (each must exist here), else CUDA when present."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if requested:
        missing = [p for p in requested if p not in available]
        if missing:
            raise InvalidRequest(f"execution provider {missing[0]!r} is not available here "
                                 f"(available: {', '.join(available)})")
        return list(requested)
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def _example(source: str, schema: InputSchema) -> dict[str, np.ndarray]:
    """The version's input example (stored with the model) as columns."""
    import mlflow

    frame = mlflow.models.Model.load(source).load_input_example(
        mlflow.artifacts.download_artifacts(source))
    return schema.validate({c: frame[c].tolist() for c in frame.columns})


def calibrate(runtime: ModelRuntime, example: dict[str, np.ndarray], repeats: int = 3) -> int:
    """The smallest calibration batch size at which native beats ONNX Runtime (0: never ONNX).

    Running both engines on growing batches also warms them up before traffic arrives.
    """
    rows = len(next(iter(example.values())))
    for size in CALIBRATION_SIZES:
        batch = {k: np.resize(v, size) for k, v in example.items()} if size != rows else example
        onnx = _best_time(runtime._predict_onnx, batch, repeats)
        native = _best_time(runtime._predict_native, batch, repeats)
        if native < onnx:
            return size
    return CALIBRATION_SIZES[-1] * 1_000_000  # ONNX Runtime won at every size tried


def _best_time(predict, batch: dict[str, np.ndarray], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        predict(batch)
        best = min(best, time.perf_counter() - began)
    return best
