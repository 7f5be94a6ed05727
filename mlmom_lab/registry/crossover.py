"""Where a twin stops beating its model: timed when a version is registered, read by servers.

ONNX Runtime answers one row 30-1000x faster than scikit-learn but loses on large batches of
tree ensembles, so both engines are timed on growing batches and the batch size from which
native wins is stored with the version, with the hardware it was measured on. A server on the
same hardware loads that figure instead of measuring again (a release is then a load, not a
benchmark).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .onnx import column_feeds
from .providers import hardware, session

CALIBRATION_SIZES = (1, 16, 256, 2048)
ALWAYS_ONNX = CALIBRATION_SIZES[-1] * 1_000_000  # ONNX Runtime won at every size tried
Predictor = Callable[[dict[str, Any]], object]  # one engine answering a batch of columns


def crossover(native: Predictor, onnx: Predictor, example: dict[str, Any], repeats: int = 3) -> int:
    """The smallest calibration batch size at which ``native`` beats ``onnx`` on
    ``example`` (columns) resized to it; :data:`ALWAYS_ONNX` when it never does.

    The largest size is tried first: each engine costs a fixed overhead per call plus a cost
    per row, and the native one has the larger overhead, so if ONNX Runtime still wins on the
    largest batch it wins on every smaller one (the common case, measured in one step)."""
    import numpy as np

    rows = len(next(iter(example.values())))

    def native_wins(size: int) -> bool:
        batch = {k: np.resize(v, size) for k, v in example.items()} if size != rows else example
        return _beats(native, batch, _best_time(onnx, batch, repeats), repeats)

    if not native_wins(CALIBRATION_SIZES[-1]):
        return ALWAYS_ONNX
    return next(
        size for size in CALIBRATION_SIZES if size == CALIBRATION_SIZES[-1] or native_wins(size)
    )


def _beats(predict: Predictor, batch: dict[str, Any], to_beat: float, repeats: int) -> bool:
    """Whether ``predict`` answers ``batch`` in less than ``to_beat`` seconds in one of
    ``repeats`` tries: the best of them against the other engine's best, stopping at the
    first try under it, or at one twice as slow (noise does not halve a time)."""
    for _ in range(repeats):
        took = _time(predict, batch)
        if took < to_beat or took > 2 * to_beat:
            return took < to_beat
    return False


def _best_time(predict: Predictor, batch: dict[str, Any], repeats: int) -> float:
    return min(_time(predict, batch) for _ in range(repeats))


def _time(predict: Predictor, batch: dict[str, Any]) -> float:
    began = time.perf_counter()
    predict(batch)
    return time.perf_counter() - began


def calibrate_twin(
    model: Any, onx: bytes, inputs: list[tuple[str, str]], frame: Any, twin: Any = None
) -> dict[str, Any] | None:
    """Time the model against its twin as a server on this machine would run them (``twin``:
    a session of it opened as the server opens one, when the caller has it)."""
    import pandas as pd

    try:
        twin = twin if twin is not None else session(onx)
    except Exception:  # noqa: BLE001 - a server measures for itself then
        return None
    names = list(frame.columns)
    example = {c: frame[c].to_numpy() for c in names}
    probabilities = hasattr(model, "predict_proba")

    def native(columns: dict[str, Any]) -> None:
        rows = pd.DataFrame(columns, columns=names)
        model.predict(rows)
        if probabilities:
            model.predict_proba(rows)

    def onnx(columns: dict[str, Any]) -> None:
        twin.run(None, column_feeds(columns, inputs))

    return {"onnx_below": crossover(native, onnx, example), "hardware": hardware(twin)}


def usable_calibration(onnx: dict[str, Any], onnx_session: Any) -> int | None:
    """The stored ``onnx_below`` of a version's twin when it was measured on hardware like
    this session's; ``None`` when it must be measured again."""
    stored = onnx.get("calibration")
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            return None
    if not isinstance(stored, dict) or stored.get("hardware") != hardware(onnx_session):
        return None
    below = stored.get("onnx_below")
    return below if isinstance(below, int) and below >= 0 else None
