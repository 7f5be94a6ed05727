"""Lighter variants of a version's ONNX graph: int8 weights by ONNX Runtime's dynamic
quantization, kept only when they lose little enough.

Dynamic quantization stores the weights of ``MatMul``, ``Gemm`` and ``Conv`` as int8 and
quantizes activations on the fly: a network's graph gets ~4x smaller and its matrix products
faster on CPUs with integer instructions. A tree ensemble has none of those operators (its
``TreeEnsemble*`` nodes hold thresholds and leaf values, and ONNX Runtime has no int8 kernel
for them), so it is refused with that reason.

Activations are quantized with the range of each batch, so an int8 answer for a row can
depend on the rows it is predicted with: the variant is judged on each row alone (a one-row
request), on held-out rows, against the float graph it came from: with labels,
the change in accuracy (classifiers) or in RMSE relative to the float graph's (regressors);
without labels, on the rows the version's explanations keep, the share of answers that
changed (which bounds the accuracy it can lose) or the RMS change relative to the spread of
the answers. Sizes and latencies (batch 1 and 1,024, one thread as a serving worker runs it)
are measured on the same machine and kept with the version, as a JSON tag
``mlmom.onnx.variant.int8``; the graph goes beside the twin, ``onnx/model.int8.onnx``.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..project import Project
    from .kinds import OnnxGraph
    from .versions import VersionInfo

VARIANTS = ("int8",)
TOLERANCE = 0.01  # accuracy (or relative RMSE) a variant may lose, by default
QUANTIZED_OPS = {"MatMul", "Gemm", "Conv"}
TAG = "mlmom.onnx.variant."


def artifact(variant: str) -> str:
    """Where a variant's graph lies in the version's run."""
    return f"onnx/model.{variant}.onnx"


@dataclass
class Variant:
    """A variant's figures next to the float graph's, and whether it was kept."""

    variant: str
    kept: bool
    reason: str
    metric: str  # accuracy | rmse (with labels); agreement | relative_rms_change (without)
    float_value: float
    value: float
    loss: float  # what the variant loses on the metric (a bound, without labels)
    tolerance: float
    rows: int
    labelled: bool
    size_bytes: int
    float_size_bytes: int
    ms: dict[str, float]  # batch size -> median milliseconds
    float_ms: dict[str, float]

    def tag(self) -> dict[str, str]:
        return {TAG + self.variant: json.dumps(asdict(self))}


def optimize(
    project: Project,
    info: VersionInfo,
    *,
    quantize: str = "int8",
    rows: pd.DataFrame | None = None,
    target: pd.Series | None = None,
    tolerance: float = TOLERANCE,
) -> Variant:
    """Quantize the version's graph, judge it, and keep it with the version when it loses at
    most ``tolerance``; the figures either way (also kept, as the version's tag)."""
    if quantize not in VARIANTS:
        raise InvalidRequest(f"--quantize {quantize!r}: one of {', '.join(VARIANTS)}")
    if not 0 <= tolerance < 1:
        raise InvalidRequest(f"tolerance {tolerance}: between 0 and 1")
    graph = _float_graph(project, info)
    _check_quantizable(graph, info)
    small = _quantized(graph)
    if rows is None:
        rows = _kept_rows(project, info)
    from .kinds import OnnxGraph

    float_model, small_model = OnnxGraph(graph), OnnxGraph(small)  # one session each
    _check_rows(float_model, rows, target)
    judged = _judge(float_model, small_model, rows, target, info.task)
    loss = judged["loss"]
    kept = loss <= tolerance
    reason = "" if kept else f"loses {loss:.4g} {judged['metric']} > tolerance {tolerance}"
    variant = Variant(
        quantize, kept, reason, judged["metric"], judged["float_value"], judged["value"],
        loss, tolerance, len(rows), target is not None, len(small), len(graph),
        _latencies(small_model, rows), _latencies(float_model, rows),
    )  # fmt: skip
    _record(project, info, variant, small)
    return variant


def _float_graph(project: Project, info: VersionInfo) -> bytes:
    """The float graph: the version's ONNX twin, or the model itself when it is a graph."""
    from ..mlflow_clients import client

    if info.run_id is None:
        raise InvalidRequest(f"version {info.version} has no run to keep a variant in")
    if info.onnx.get("status") == "ok":
        with tempfile.TemporaryDirectory() as tmp:
            path = client(project).download_artifacts(info.run_id, "onnx/model.onnx", tmp)
            return Path(path).read_bytes()
    if info.kind == "onnx":
        from .kinds import load

        graph: bytes = load(info.source).graph
        return graph
    raise InvalidRequest(
        f"version {info.version} has no ONNX graph to quantize "
        f"(its ONNX export: {info.onnx.get('status', 'none')}"
        f"{': ' + info.onnx['reason'] if info.onnx.get('reason') else ''})"
    )


def _check_quantizable(graph: bytes, info: VersionInfo) -> None:
    import onnx

    ops = {node.op_type for node in onnx.load_from_string(graph).graph.node}
    if not ops & QUANTIZED_OPS:
        trees = sorted(op for op in ops if op.startswith("TreeEnsemble"))
        what = f"a tree ensemble ({', '.join(trees)})" if trees else f"operators {sorted(ops)}"
        raise InvalidRequest(
            f"version {info.version} is {what}: int8 quantization applies to the weights of "
            "MatMul, Gemm and Conv (neural networks, linear models), which it has none of; "
            "its ONNX twin already serves it as fast as ONNX Runtime can"
        )


def _quantized(graph: bytes) -> bytes:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    root.addFilter(_no_preprocessing_advice)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source, target = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
            source.write_bytes(graph)
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
            return target.read_bytes()
    finally:
        root.removeFilter(_no_preprocessing_advice)


def _no_preprocessing_advice(record: logging.LogRecord) -> bool:
    """ONNX Runtime advises its pre-processing on every call; its shape inference fails on
    the ``ai.onnx.ml`` operators of scikit-learn's graphs, so the advice is dropped."""
    return not record.getMessage().startswith("Please consider to run pre-processing")


# the sample of training rows registration keeps for the version's explanations
# (written by explain.artifacts.save, read here as any artifact of the run)
KEPT_ROWS = "explain/background.parquet"


def _kept_rows(project: Project, info: VersionInfo) -> pd.DataFrame:
    """The rows the version keeps for its explanations (a sample of its training features)."""
    import pandas as pd

    from ..mlflow_clients import client

    if info.explain.get("status") != "ok" or info.run_id is None:
        raise InvalidRequest(
            f"version {info.version} keeps no rows to judge a variant on: give --data"
        )
    with tempfile.TemporaryDirectory() as tmp:
        return pd.read_parquet(client(project).download_artifacts(info.run_id, KEPT_ROWS, tmp))


def _check_rows(model: OnnxGraph, rows: pd.DataFrame, target: pd.Series | None) -> None:
    from ..errors import InvalidInput

    if rows.empty:
        raise InvalidInput("no rows to judge the variant on")
    inputs = model.inputs
    if len(inputs) > 1 or inputs[0].name in rows.columns:  # one input per column
        missing = [i.name for i in inputs if i.name not in rows.columns]
        if missing:
            raise InvalidInput(f"the rows lack the model's input columns {missing}")
    else:  # one 2-D tensor of every column, in order
        width = inputs[0].shape[-1]
        if isinstance(width, int) and width != len(rows.columns):
            raise InvalidInput(
                f"the rows have {len(rows.columns)} columns; the model takes {width}"
            )
    if target is not None and target.isna().any():
        raise InvalidInput(f"the label column {target.name!r} has missing values")


def _judge(
    float_model: OnnxGraph,
    small_model: OnnxGraph,
    rows: pd.DataFrame,
    target: pd.Series | None,
    task: str,
) -> dict[str, Any]:
    import numpy as np

    before, after = float_model.predict(rows), _alone(small_model, rows)
    if task == "classification":
        if target is None:
            agreement = float(np.mean(before == after))
            return _figures("agreement", 1.0, agreement, 1.0 - agreement)
        truth = np.asarray(target)
        was, now = float(np.mean(before == truth)), float(np.mean(after == truth))
        return _figures("accuracy", was, now, was - now)
    before, after = before.astype(float), after.astype(float)
    if target is None:
        spread = float(np.std(before)) or 1.0
        change = float(np.sqrt(np.mean((after - before) ** 2))) / spread
        return _figures("relative_rms_change", 0.0, change, change)
    truth = np.asarray(target, dtype=float)
    was, now = _rmse(before, truth), _rmse(after, truth)
    return _figures("rmse", was, now, (now - was) / (was or 1.0))


def _alone(model: OnnxGraph, rows: pd.DataFrame) -> np.ndarray:
    """The variant's answer for each row asked alone: int8 activations are quantized with
    the range of the whole batch, so a row's answer depends on the rows it comes with; alone
    is what a one-row request gets."""
    import numpy as np

    return np.concatenate([model.predict(rows.iloc[i : i + 1]) for i in range(len(rows))])


def _figures(metric: str, float_value: float, value: float, loss: float) -> dict[str, Any]:
    return {"metric": metric, "float_value": float_value, "value": value, "loss": max(loss, 0.0)}


def _rmse(predicted: np.ndarray, truth: np.ndarray) -> float:
    import numpy as np

    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


def _latencies(model: OnnxGraph, rows: pd.DataFrame) -> dict[str, float]:
    """Median milliseconds of one ONNX Runtime run at batch 1 and 1,024 (the rows repeated),
    its inputs ready, as a served request reaches it."""
    import pandas as pd

    figures = {}
    for size, repeats in ((1, 200), (1024, 20)):
        batch = pd.concat([rows] * (size // len(rows) + 1), ignore_index=True).head(size)
        feeds = model.frame_feeds(batch)
        model.session.run(None, feeds)  # warm
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            model.session.run(None, feeds)
            times.append((time.perf_counter() - began) * 1000)
        figures[str(size)] = round(statistics.median(times), 4)
    return figures


def _record(project: Project, info: VersionInfo, variant: Variant, small: bytes) -> None:
    """The graph beside the twin when kept; the figures on the version either way."""
    from ..mlflow_clients import client

    mlflow = client(project)
    if variant.kept and info.run_id is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(artifact(variant.variant)).name
            path.write_bytes(small)
            mlflow.log_artifact(info.run_id, str(path), "onnx")
    for key, value in variant.tag().items():
        mlflow.set_model_version_tag(info.name, info.version, key, value)
