"""Prometheus metrics, correct across worker processes.

prometheus_client's multiprocess mode: every worker writes its samples to memory-mapped
files in one folder (``PROMETHEUS_MULTIPROC_DIR``, which ``mlmom serve`` sets to a fresh
folder per server before the workers start), and ``/metrics`` adds them up, whichever
worker answers. Without that variable (one process, tests) the default registry is used.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from prometheus_client import Counter, Histogram
    from prometheus_client.registry import Collector

    from .outputs import Prediction
    from .runtime import ModelRuntime

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The serving metrics of one process."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        labels = ("model", "version", "route")
        self.latency = Histogram(
            "mlmom_request_duration_seconds",
            "Time to answer a prediction request.",
            labels,
            buckets=LATENCY_BUCKETS,
        )
        self.requests = Counter(
            "mlmom_requests_total", "Prediction requests answered.", (*labels, "protocol")
        )
        self.errors = Counter(
            "mlmom_request_errors_total",
            "Requests refused or failed, by code; version and route are empty "
            "when the request failed before it was routed.",
            ("model", "version", "route", "code", "status"),
        )
        self.predictions = Counter(
            "mlmom_predictions_total",
            "Predicted rows by class.",
            ("model", "version", "route", "prediction"),
        )
        self.in_flight = Gauge(
            "mlmom_requests_in_flight", "Requests being answered now.", multiprocess_mode="livesum"
        )
        self.shadow = Counter(
            "mlmom_shadow_predictions_total",
            "Shadow predictions, agreeing with the served answer or not.",
            ("model", "version", "result"),
        )
        # labelled series, looked up once per label set: (model, version, route, protocol)
        # -> latency and requests; (model, version, route, class) -> predictions. Apart, so
        # that a class named like a protocol ("v2") never gets the other's series.
        self._series: dict[tuple[str, str, str, str], tuple[Histogram, Counter]] = {}
        self._predicted_series: dict[tuple[str, str, str, str], Counter] = {}
        self.load_seconds = Gauge(
            "mlmom_model_load_seconds",
            "Seconds to load, warm and calibrate a version.",
            ("model", "version"),
            multiprocess_mode="max",
        )
        # Prometheus' info pattern: 1 on the series that says where a version's ONNX twin
        # really runs (ONNX Runtime falls back to the CPU silently when CUDA cannot start)
        self.runs_on = Gauge(
            "mlmom_model_runs_on",
            "1 for the engine, ONNX Runtime provider and graph variant a version really runs on.",
            ("model", "version", "engine", "provider", "variant"),
            multiprocess_mode="max",
        )

    def observe(
        self,
        runtime: ModelRuntime,
        route: str,
        protocol: str,
        seconds: float,
        prediction: Prediction,
    ) -> None:
        latency, requests = self._children(runtime.name, runtime.version, route, protocol)
        latency.observe(seconds)
        requests.inc()
        if runtime.task == "classification":
            labels = (runtime.name, runtime.version, route)
            values = prediction.values
            if len(values) == 1:  # the common case, without numpy's unique
                self._predicted(labels, str(values[0])).inc()
                return
            for value, count in zip(*_counts(values)):
                self._predicted(labels, str(value)).inc(int(count))

    def _children(
        self, model: str, version: str, route: str, protocol: str
    ) -> tuple[Histogram, Counter]:
        """The labelled latency and request series, looked up once per label set."""
        key = (model, version, route, protocol)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = (
                self.latency.labels(model, version, route),
                self.requests.labels(model, version, route, protocol),
            )
        return found

    def _predicted(self, labels: tuple[str, str, str], value: str) -> Counter:
        key = (*labels, value)
        found = self._predicted_series.get(key)
        if found is None:
            found = self._predicted_series[key] = self.predictions.labels(*labels, value)
        return found

    def error(self, code: str, status: int, model: str, version: str = "", route: str = "") -> None:
        self.errors.labels(model, version, route, code, str(status)).inc()

    def loaded(self, runtime: ModelRuntime) -> None:
        self.load_seconds.labels(runtime.name, runtime.version).set(runtime.load_seconds)
        engine, provider = ("onnx", runtime.providers[0]) if runtime.providers else ("native", "")
        variant = runtime.variant or "float"
        self.runs_on.labels(runtime.name, runtime.version, engine, provider, variant).set(1)


_metrics: Metrics | None = None


def metrics() -> Metrics:
    """This process's metrics (created once: a registry refuses duplicates)."""
    global _metrics
    if _metrics is None:
        _metrics = Metrics()
    return _metrics


def _counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    return np.unique(values, return_counts=True)


def exposition(extra: Collector | None = None) -> bytes:
    """The metrics of every worker, in Prometheus text format, plus ``extra`` (a collector:
    the monitoring gauges of the latest drift check)."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        text = generate_latest(REGISTRY)
    else:
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        text = generate_latest(registry)
    if extra is not None:
        registry = CollectorRegistry()
        registry.register(extra)
        text += generate_latest(registry)
    return text


def worker_exited() -> None:
    """Drop this worker's live gauges (in-flight) from the shared files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
