"""A quick start: the ONNX twin answers while the model itself is still loading.

Loading a scikit-learn model through MLflow imports MLflow, SQLAlchemy, scikit-learn, SciPy
and skops (seconds), yet everything a server needs to answer with the version's twin was
stored at registration: the twin, its parity-checked inputs and gap columns, the batch size
below which it is faster (with the hardware that measured it), and the types the model
answers in (``mlmom.outputs``). So a worker reads those straight from a local store, opens
the twin and is ready; the model loads in a background thread. A request only the model may
answer (a large batch, a gap the twin was not checked on) waits for it; every answer is still
the model's own, from the model or from a twin that matched it.

Anything unusual (a store that is not a local SQLite file, a version registered before
``mlmom.outputs`` existed, a calibration from other hardware) takes the ordinary load.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .outputs import OutputSpec, Prediction
from .runtime import ModelRuntime, _predicts_by_argmax, open_twin
from .schema import InputSchema, from_columns

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project
    from ..registry.versions import VersionInfo

logger = logging.getLogger("mlmom.serving")
OUTPUTS_TAG = "mlmom.outputs"


def load(
    project: Project, info: VersionInfo, providers: list[str] | None, began: float
) -> ModelRuntime | None:
    """``info``'s runtime answering with its twin now, its model loading meanwhile; None
    when a quick start is not possible (the caller loads the usual way)."""
    from ..registry.crossover import usable_calibration
    from ..registry.reading import local_model_dir, reader_for

    if info.onnx.get("status") != "ok" or info.run_id is None:
        return None
    reader = reader_for(project)
    folder = local_model_dir(reader, info.name, info.version)
    stored = reader.version(info.name, info.version).tags.get(OUTPUTS_TAG)
    if folder is None or not stored:
        return None
    read = _model_files(folder, info.refuses_gaps)
    if read is None:
        return None
    schema, example = read
    runtime = ModelRuntime(info.name, info.version, schema, Future(), task=info.task)
    runtime.outputs = OutputSpec.from_json(stored)
    open_twin(runtime, reader.run_file(info.run_id, "onnx/model.onnx"), info.onnx, providers)
    below = usable_calibration(info.onnx, runtime.onnx)
    if below is None:  # measured on other hardware: measure against the model, as usual
        return None
    runtime.twin_gaps = frozenset(info.onnx.get("gaps", ()))
    runtime.onnx_below = below
    runtime._predict_onnx(example)  # warm: the first request finds it ready
    runtime.load_seconds = time.perf_counter() - began
    threading.Thread(
        target=_load_model,
        args=(project, info, runtime, example),
        name=f"load {info.name}/{info.version}",
        daemon=True,
    ).start()
    return runtime


def _model_files(
    folder: Path, refuses_gaps: list[str]
) -> tuple[InputSchema, dict[str, np.ndarray]] | None:
    """The signature's schema and the input example, read from the model's own files
    (``MLmodel``, ``input_example.json``) as MLflow wrote them."""
    import yaml

    try:
        meta = yaml.safe_load((folder / "MLmodel").read_text())
        columns = json.loads(meta["signature"]["inputs"])
        info = meta.get("saved_input_example_info") or {}
        if info.get("type") != "dataframe" or info.get("pandas_orient", "split") != "split":
            return None
        split = json.loads((folder / info.get("artifact_path", "input_example.json")).read_text())
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return None
    schema = from_columns(columns, refuses_gaps)
    rows = split.get("data") or []
    example = {c: [row[i] for row in rows] for i, c in enumerate(split.get("columns") or [])}
    return schema, schema.validate(example)


def _load_model(
    project: Project, info: VersionInfo, runtime: ModelRuntime, example: dict[str, np.ndarray]
) -> None:
    """Load the model natively, check it answers in the types stored, hand it over."""
    from ..registry import kinds

    pending: Future[Any] = runtime.native
    try:
        native = kinds.load_version(project, info.name, info.version, info.source)
        pending.set_result(native)
        answer: Prediction = runtime._predict_native(example)
    except Exception as exc:  # noqa: BLE001 - whatever failed, requests must not wait forever
        logger.error(
            "%s version %s: the model did not load (%s); only its ONNX twin answers",
            runtime.name,
            runtime.version,
            exc,
        )
        if not pending.done():
            pending.set_exception(exc)
        return
    if OutputSpec.of(answer) != runtime.outputs:  # never expected: the model's own types win
        logger.warning("%s version %s answers in other types than stored", runtime.name,
                       runtime.version)  # fmt: skip
        runtime.outputs = OutputSpec.of(answer)
    runtime.labels_by_argmax = _predicts_by_argmax(native, answer)
    runtime.native = native
    gc.collect()  # as the worker did at start: what loading left behind is never scanned again
    gc.freeze()
