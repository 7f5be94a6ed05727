"""ONNX export of scikit-learn models, accepted only after a parity check.

A pipeline whose ColumnTransformer picks columns by name becomes an ONNX graph with one
input per column (floats for numbers, strings for categories); a purely numeric estimator
becomes one 2-D float input. The graph is kept only when ONNX Runtime's outputs match
scikit-learn's on held-out rows (probabilities for classifiers, predictions for regressors).

A twin that passed is then calibrated (:mod:`.crossover`).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from .providers import NOT_INSTALLED, execution_providers, session

PARITY_TOLERANCE = 1e-4
GAP_PROBE_ROWS = 50  # rows each column's gap is tried on


@dataclass
class OnnxResult:
    """What happened to a model's ONNX export; ``model`` is the ONNX bytes when it passed."""

    status: str  # ok | failed | skipped
    reason: str = ""
    max_diff: float | None = None
    rows: int = 0
    inputs: list[tuple[str, str]] = field(default_factory=list)
    model: bytes | None = None
    calibration: dict[str, Any] | None = None  # onnx_below and the hardware it was measured on
    gaps: list[str] = field(default_factory=list)  # columns whose gaps it answers as the model

    def tags(self) -> dict[str, str]:
        tags = {"mlmom.onnx": self.status}
        if self.reason:
            tags["mlmom.onnx.reason"] = self.reason[:4000]
        if self.max_diff is not None:
            tags["mlmom.onnx.max_diff"] = f"{self.max_diff:.3g}"
            tags["mlmom.onnx.parity_rows"] = str(self.rows)
        if self.inputs:
            tags["mlmom.onnx.inputs"] = json.dumps(self.inputs)
        if self.calibration:
            tags["mlmom.onnx.calibration"] = json.dumps(self.calibration)
        if self.status == "ok":
            tags["mlmom.onnx.gaps"] = json.dumps(self.gaps)
        return tags


TWINNED_KINDS = ("sklearn", "xgboost", "lightgbm")


class Exporting:
    """The ONNX export of ``model``, begun; ``result()`` says how it went.

    The model is converted (skl2onnx, with onnxmltools' converters for XGBoost and LightGBM)
    and checked against itself on ``held_out`` rows: the same labels, and probabilities (or
    values) within ``tolerance``. Then, for each column of ``gaps`` (where the model takes
    missing values), the same check on rows with that column missing: the twin answers gaps
    only in the columns where it passed (the model answers the others). A model of
    scikit-learn's own classes is converted in a forked child (:mod:`mlmom_lab.forked`:
    skl2onnx's Python only reads the fitted attributes) while the caller does other work; the
    checks run here, where the model runs, reading the model's labels and probabilities for
    ``held_out`` from ``answers`` where the caller asked them already (either may be None).
    ``with Exporting(...) as e: e.result()`` at once.
    """

    def __init__(
        self,
        model: Any,
        held_out: Any,
        *,
        kind: str = "sklearn",
        gaps: Sequence[str] = (),
        tolerance: float = PARITY_TOLERANCE,
        answers: tuple[Any, Any] | None = None,
    ) -> None:
        from ..forked import Pending

        self.model, self.held_out, self.kind, self.answers = model, held_out, kind, answers
        self.gaps, self.tolerance = gaps, tolerance
        self._converted: Pending[tuple[bytes, list[tuple[str, str]]]] | None = None
        self._result: OnnxResult | None = None
        if kind in TWINNED_KINDS and importlib.util.find_spec("onnxruntime") is not None:
            fork = _scikit_learn_only(model)  # a booster's own kind is never scikit-learn's
            self._converted = Pending(lambda: _convert(model, held_out), fork=fork)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._converted is not None:
            self._converted.close()

    def result(self) -> OnnxResult:
        """The export's outcome (worked out once)."""
        if self._result is None:
            self._result = self._outcome()
        return self._result

    def _outcome(self) -> OnnxResult:
        from .crossover import calibrate_twin

        if self.kind == "onnx":
            return OnnxResult("native", "the model is an ONNX graph: ONNX Runtime runs it as it is")
        if self.kind not in TWINNED_KINDS:
            return OnnxResult(
                "skipped", f"a {self.kind} model has no ONNX converter: it runs natively"
            )
        if self._converted is None:  # ONNX Runtime was not installed
            return OnnxResult("skipped", NOT_INSTALLED)
        model, held_out, tolerance = self.model, self.held_out, self.tolerance
        try:
            onx, inputs = self._converted.result()
            checker = _ParityCheck(model, onx, inputs)
            diff, changed = checker.parity(held_out, self.answers)
        except Exception as exc:  # noqa: BLE001 - skl2onnx raises many types for unsupported models
            return OnnxResult("failed", f"conversion failed: {type(exc).__name__}: {_short(exc)}")
        if changed or diff > tolerance:
            why = (
                f"{changed} of {len(held_out)} labels differ"
                if changed
                else f"max difference {diff:.3g} > {tolerance}"
            )
            return OnnxResult(
                "failed",
                f"parity check failed: {why}",
                max_diff=diff,
                rows=len(held_out),
                inputs=inputs,
            )
        return OnnxResult(
            "ok",
            max_diff=diff,
            rows=len(held_out),
            inputs=inputs,
            model=onx,
            calibration=calibrate_twin(model, onx, inputs, held_out, checker.as_served()),
            gaps=checker.gaps(held_out.head(GAP_PROBE_ROWS), self.gaps, tolerance),
        )


def _scikit_learn_only(model: Any) -> bool:
    """Whether ``model`` and every estimator inside it are scikit-learn's own: converting it
    then reads fitted attributes only (a booster's converter calls into its library, and its
    threads; another class's, its author's code), so it may run in a forked child."""
    from sklearn.base import BaseEstimator

    if not isinstance(model, BaseEstimator):
        return False
    inside = model.get_params(deep=True).values()
    parts = [model, *(part for part in inside if isinstance(part, BaseEstimator))]
    return all(type(part).__module__.startswith("sklearn.") for part in parts)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""


def _uses_column_names(model: Any) -> bool:
    from sklearn.compose import ColumnTransformer

    steps = getattr(model, "steps", [])
    return any(isinstance(step, ColumnTransformer) for _, step in steps)


def _convert(model: Any, frame: Any) -> tuple[bytes, list[tuple[str, str]]]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from .boosting import TARGET_OPSET, convertible, is_boosting

    if _uses_column_names(model):
        inputs = [(str(c), "string" if _is_text(frame[c]) else "float") for c in frame.columns]
        types = [
            (n, StringTensorType([None, 1]) if t == "string" else FloatTensorType([None, 1]))
            for n, t in inputs
        ]
    else:
        inputs = [("input", "float")]
        types = [("input", FloatTensorType([None, frame.shape[1]]))]
    opset = TARGET_OPSET if is_boosting(model) else None
    onx = convert_sklearn(convertible(model), initial_types=types, target_opset=opset)
    return _without_zipmap(onx).SerializeToString(), inputs


def _without_zipmap(onx: Any) -> Any:
    """The graph with its classifier's probabilities as one [rows, classes] tensor.

    skl2onnx ends a classifier in a ZipMap (a list of {class: probability} per row). Its
    ``zipmap=False`` option says the same, but any option makes skl2onnx walk every attribute
    of every fitted sub-estimator, computing each tree's importances and bootstrap rows on the
    way (0.4 s for a forest of 150 trees); the node is cut here instead, its input renamed to
    its output. The parity check that follows runs on what this returns."""
    from onnx import TensorProto, helper

    graph = onx.graph
    for node in [n for n in graph.node if n.op_type == "ZipMap"]:
        probabilities, output = node.input[0], node.output[0]
        graph.node.remove(node)
        for other in graph.node:
            other.input[:] = [output if name == probabilities else name for name in other.input]
            other.output[:] = [output if name == probabilities else name for name in other.output]
        labels = next(a for a in node.attribute if a.name.startswith("classlabels"))
        classes = len(labels.ints) or len(labels.strings)
        for out in graph.output:  # ZipMap takes float probabilities, one column per class
            if out.name == output:
                out.type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, [None, classes]))
    return onx


def _is_text(column: Any) -> bool:
    return column.dtype == object or str(column.dtype) in ("string", "category")


def feeds(frame: Any, inputs: list[tuple[str, str]]) -> dict[str, Any]:
    """ONNX Runtime inputs for a DataFrame, shaped as the exported graph expects."""
    import numpy as np

    if inputs == [("input", "float")]:
        return {"input": frame.to_numpy(dtype=np.float32)}
    out = {}
    for name, kind in inputs:
        column = frame[[name]]
        out[name] = (
            column.astype(str).to_numpy() if kind == "string" else column.to_numpy(np.float32)
        )
    return out


def column_feeds(columns: dict[str, Any], inputs: list[tuple[str, str]]) -> dict[str, Any]:
    """ONNX Runtime inputs straight from typed columns (no DataFrame: the serving hot path)."""
    import numpy as np

    if inputs == [("input", "float")]:
        return {"input": np.column_stack([c.astype(np.float32) for c in columns.values()])}
    out = {}
    for name, kind in inputs:
        column = columns[name]
        out[name] = (column.astype(str) if kind == "string" else column.astype(np.float32)).reshape(
            -1, 1
        )
    return out


CPU = ["CPUExecutionProvider"]


class _ParityCheck:
    """The model against its twin, row by row, with one ONNX Runtime session."""

    def __init__(self, model: Any, onx: bytes, inputs: list[tuple[str, str]]) -> None:
        self.model, self.inputs = model, inputs
        # the server's threads: the default pool spins on every core the children need
        self.session = session(onx, CPU)

    def as_served(self) -> Any | None:
        """This session, when a server here runs the twin as it does (on the CPU alone)."""
        return self.session if execution_providers() == CPU else None

    def parity(self, frame: Any, answers: tuple[Any, Any] | None = None) -> tuple[float, int]:
        """The largest difference of probabilities (or of values, relative to their scale)
        and how many labels differ between the model and its twin on ``frame``."""
        diffs, changed = self.per_row(frame, answers)
        return float(diffs.max()), int(changed.sum())

    def per_row(self, frame: Any, answers: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
        """Each row's largest difference and whether its label differs; ``answers``: the
        model's labels and probabilities (None: not asked yet) for ``frame``, when known."""
        import numpy as np

        outputs = self.session.run(None, feeds(frame, self.inputs))
        labels, probabilities = answers if answers is not None else (None, None)
        labels = np.asarray(self.model.predict(frame) if labels is None else labels)
        if hasattr(self.model, "predict_proba"):
            if probabilities is None:
                probabilities = self.model.predict_proba(frame)
            proba = np.asarray(outputs[1], float) - probabilities
            changed = np.asarray(outputs[0]).reshape(-1) != labels
            return np.abs(proba).reshape(len(frame), -1).max(axis=1), changed
        got = np.asarray(outputs[0], float).reshape(-1)
        scale = max(1.0, float(np.abs(labels).max()))
        return np.abs(got - labels) / scale, np.zeros(len(frame), bool)

    def gaps(self, probe: Any, columns: Sequence[str], tolerance: float) -> list[str]:
        """The columns in which the twin answers a missing value exactly as the model does:
        every column's gap tried in one batch, each column alone only when the twin refuses
        the batch (a gap it cannot take somewhere)."""
        import pandas as pd

        from .kinds import with_gap

        if not columns:
            return []
        trials = [with_gap(probe, column) for column in columns]
        try:
            diffs, changed = self.per_row(pd.concat(trials, ignore_index=True))
        except Exception:  # noqa: BLE001 - some column's gap fails the twin: try each alone
            return [c for c, trial in zip(columns, trials) if self._passes(trial, tolerance)]
        rows = len(probe)
        return [
            column
            for i, column in enumerate(columns)
            if not changed[i * rows : (i + 1) * rows].any()
            and diffs[i * rows : (i + 1) * rows].max() <= tolerance
        ]

    def _passes(self, trial: Any, tolerance: float) -> bool:
        try:
            diff, changed = self.parity(trial)
        except Exception:  # noqa: BLE001 - the twin cannot take it: the model answers
            return False
        return not changed and diff <= tolerance
