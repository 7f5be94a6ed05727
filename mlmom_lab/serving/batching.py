"""Micro-batching: concurrent small requests for one model version share one prediction.

A model answers 16 rows in little more time than one (ONNX Runtime's per-call overhead
dominates a one-row request), so requests that arrive together are predicted together.
Each request's shape is checked alone; its rows then wait in the version's :class:`Batcher`
until the batch is full (``max_batch_size`` rows) or ``max_wait_ms`` has passed. With the
default wait of 0 ms nothing waits on purpose: a batch is whatever arrived during the
current turn of the event loop, so a lone request is not slowed down and a busy server
batches by itself (the adaptive batching of MLServer and Triton, without the fixed delay).

Bad input in one request never fails its neighbours: when typing or predicting the merged
batch fails, each request is retried alone and only the faulty one gets the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from .outputs import Prediction
from .runtime import ModelRuntime

Answer = tuple[dict[str, np.ndarray], Prediction]  # a request's typed columns, its prediction


@dataclass(frozen=True)
class BatchPolicy:
    """How many rows one prediction may take, and how long a request may wait for company."""

    max_batch_size: int = 64
    max_wait_ms: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.max_batch_size > 1


@dataclass
class _Waiting:
    raw: Mapping[str, Any]
    rows: int
    future: asyncio.Future[Answer]


class Batcher:
    """The queue of one version: ``await predict(raw)`` gives ``(columns, prediction)``."""

    def __init__(self, runtime: ModelRuntime, policy: BatchPolicy) -> None:
        self.runtime = runtime
        self.policy = policy
        self._waiting: list[_Waiting] = []
        self._rows = 0
        self._scheduled: asyncio.Handle | asyncio.TimerHandle | None = None
        self.batches = 0  # predictions made, for tests and the curious

    async def predict(self, raw: Mapping[str, Any]) -> Answer:
        schema = self.runtime.schema
        rows = schema.check_shape(raw)
        if not self.policy.enabled or rows >= self.policy.max_batch_size:
            columns = schema.typed(raw, rows)
            self.batches += 1
            return columns, self.runtime.predict(columns)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(raw, rows, future))
        self._rows += rows
        self._schedule()
        return await future

    def _schedule(self) -> None:
        if self._rows >= self.policy.max_batch_size:
            if self._scheduled is not None:
                self._scheduled.cancel()
            self._flush()
        elif self._scheduled is None:
            loop = asyncio.get_running_loop()
            wait = self.policy.max_wait_ms / 1000
            self._scheduled = (
                loop.call_later(wait, self._flush) if wait > 0 else loop.call_soon(self._flush)
            )

    def _flush(self) -> None:
        waiting, self._waiting, self._rows, self._scheduled = self._waiting, [], 0, None
        waiting = [w for w in waiting if not w.future.done()]  # a caller that went away
        if not waiting:
            return
        try:
            columns = self._typed_together(waiting)
            prediction = self.runtime.predict(columns)
        except Exception:  # noqa: BLE001 - find the culprit: each request alone
            for item in waiting:
                _settle_alone(self.runtime, item)
            self.batches += len(waiting)
            return
        self.batches += 1
        start = 0
        for item in waiting:
            end = start + item.rows
            item.future.set_result(
                ({k: v[start:end] for k, v in columns.items()}, _rows_of(prediction, start, end))
            )
            start = end

    def _typed_together(self, waiting: list[_Waiting]) -> dict[str, np.ndarray]:
        """One typed batch of all the requests' rows, in order."""
        schema = self.runtime.schema
        if len(waiting) == 1:
            return schema.typed(waiting[0].raw, waiting[0].rows)
        names = waiting[0].raw.keys()
        if all(
            w.raw.keys() == names and all(type(v) is list for v in w.raw.values()) for w in waiting
        ):  # the common case: join the JSON values, type them once
            merged = {n: list(chain.from_iterable(w.raw[n] for w in waiting)) for n in names}
            return schema.typed(merged, sum(w.rows for w in waiting))
        parts = [schema.typed(w.raw, w.rows) for w in waiting]
        return {n: np.concatenate([p[n] for p in parts]) for n in schema.names}


def _settle_alone(runtime: ModelRuntime, item: _Waiting) -> None:
    try:
        columns = runtime.schema.typed(item.raw, item.rows)
        item.future.set_result((columns, runtime.predict(columns)))
    except Exception as exc:  # noqa: BLE001 - the request's own error, raised where it awaits
        item.future.set_exception(exc)


def _rows_of(prediction: Prediction, start: int, end: int) -> Prediction:
    probabilities = prediction.probabilities
    return Prediction(
        prediction.values[start:end],
        None if probabilities is None else probabilities[start:end],
        prediction.classes,
        prediction.engine,
    )
