"""Explanation figures: SHAP of one logged request for the demo's champion (a tuned random
forest behind a ColumnTransformer), next to the model-agnostic explainers a peer would run.

The example pipeline runs in a temporary folder, a real server answers 40 requests of 5
customers through MLflow's /invocations, and each request's first row is explained by
request id with :func:`mlmom_lab.explain.explain_request`: the first call (model and
explainers loaded from the registry) and then warm calls, which read the request back from
the prediction log and run SHAP. Beside it, on the same rows: LIME (what our dashboards show
next to SHAP) and SHAP's KernelExplainer (model-agnostic Kernel SHAP, which SageMaker Clarify
runs), with 100 background rows. Quote medians and ratios: these machines are noisy.

    python benchmarks/explain.py [--requests 40] [--kernel-rows 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from example import copy_example


def setup(folder: Path, requests: int):
    """The example, run, served, and ``requests`` logged requests; returns the project."""
    from mlmom_lab.demo.monitoring import customers, stream
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project
    from mlmom_lab.serving.launch import start_server

    root = folder / "churn"
    copy_example(root)
    project = load_project(root)
    assert run_pipeline(project).ok
    server, port = start_server(root)
    try:
        stream(port, customers(project, 5 * requests, seed=3, shift=0.0), "bench", batch=5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    return project


def timed(call) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def measure(project, requests: int, kernel_rows: int) -> dict:
    import shap

    from mlmom_lab.explain import explain_request, explainers

    ids = [f"bench-{5 * i}" for i in range(requests)]
    first = timed(lambda: explain_request(project, ids[0], methods=("shap",)))
    warm = [timed(lambda r=r: explain_request(project, r, methods=("shap",))) for r in ids]
    lime = [timed(lambda r=r: explain_request(project, r, methods=("lime",))) for r in ids[:10]]
    loaded = explainers(project)
    errors = []
    for r in ids:
        found = explain_request(project, r, methods=("shap",)).explanations["shap"]
        errors.append(abs(found.total - found.output))
    rows = loaded.view.frame([explain_request(project, r, methods=()).inputs for r in ids])
    codec_predict, encoded, background = _kernel_inputs(loaded, rows)
    kernel = shap.KernelExplainer(codec_predict, background)
    kernel_ms = [
        timed(lambda i=i: kernel.shap_values(encoded[i : i + 1], silent=True))
        for i in range(kernel_rows)
    ]
    return {
        "requests": requests,
        "first_call_ms": first,
        "shap_warm_ms": _stats(warm),
        "lime_ms": _stats(lime),
        "kernel_shap_ms": _stats(kernel_ms),
        "max_additivity_error": max(errors),
        "explainer": loaded.importance.kind,
    }


def _kernel_inputs(loaded, rows):
    from mlmom_lab.explain.model import Codec

    codec = Codec.of(loaded.view, loaded.shap.background, rows)
    background = codec.encode(loaded.shap.background.head(100))
    background = _filled(background)
    return codec.predict, _filled(codec.encode(rows)), background


def _filled(matrix):
    import numpy as np

    return np.where(np.isnan(matrix), np.nanmedian(matrix, axis=0), matrix)


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[int(0.9 * (len(ordered) - 1))],
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--kernel-rows", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = setup(Path(tmp), args.requests)
        figures = measure(project, args.requests, args.kernel_rows)
    print(f"explainer: {figures['explainer']} (SHAP), {figures['requests']} logged requests")
    print(f"first call (load model, explainers): {figures['first_call_ms']:.0f} ms")
    for name in ("shap_warm_ms", "lime_ms", "kernel_shap_ms"):
        s = figures[name]
        print(f"{name:<15} median {s['median']:8.1f} ms  p90 {s['p90']:8.1f} ms  (n={s['n']})")
    ratio = figures["kernel_shap_ms"]["median"] / figures["shap_warm_ms"]["median"]
    print(
        f"Kernel SHAP / ours: {ratio:.0f}x; max |base + SHAP - output| "
        f"{figures['max_additivity_error']:.1e}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
