"""Release figures: how long a canary takes to be live on every worker, one run.

The example project (a tuned random forest behind a ColumnTransformer, two versions) is
served by `mlmom serve --workers 2`. Each round releases the second version as a 30% canary
(`mlmom_lab.release.canary`, which returns once both workers serve it) and clears it again;
the figure is the canary's time-to-live as the release reports it, and the wall time of the
call. Side by side, in the same run:

- the same canary with the twin's calibration made unusable (another machine's hardware in
  its record), so each worker measures ONNX Runtime against scikit-learn at swap time, as
  every swap did before the calibration was stored at registration;
- MLflow's way to serve another version: `mlflow models serve -m models:/NAME/2` started
  anew, until it answers a prediction (MLflow's scoring server cannot swap a version live).

These machines are noisy: quote medians and ratios.

    python benchmarks/release.py [--rounds 10] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from serving import BIN, ROW, prepare_project, serve

from mlmom_lab.serving.launch import free_port


def canaries(project, version: str, rounds: int) -> dict:
    """``rounds`` canaries of ``version`` at 30%, each cleared again; seconds to live."""
    from mlmom_lab import release

    live, wall = [], []
    for i in range(rounds):
        began = time.perf_counter()
        done = release.canary(project, version, 0.3, reason=f"bench canary {i}")
        wall.append(time.perf_counter() - began)
        assert len(done.rollout.live) == 2, done.message
        live.append(done.rollout.seconds)
        release.clear(project, reason=f"bench clear {i}")
    return {
        "median_live_s": round(statistics.median(live), 3),
        "max_live_s": round(max(live), 3),
        "median_call_s": round(statistics.median(wall), 3),
        "rounds": rounds,
    }


def with_calibration(project, version: str, calibration: dict | None) -> None:
    """Set (or, given a damaged copy, spoil) the version's stored calibration."""
    from mlmom_lab.mlflow_clients import client

    client(project).set_model_version_tag(
        project.spec.model, version, "mlmom.onnx.calibration", json.dumps(calibration)
    )


def mlflow_restart(root: Path, version: str, rounds: int) -> dict:
    """`mlflow models serve` of ``version``, started anew until it answers a prediction."""
    body = json.dumps({"dataframe_records": [ROW]}).encode()
    seconds = []
    for _ in range(rounds):
        port = free_port()
        began = time.perf_counter()
        proc = serve(
            [
                str(BIN / "mlflow"),
                "models",
                "serve",
                "-m",
                f"models:/churn-classifier/{version}",
                "-p",
                str(port),
                "--env-manager",
                "local",
            ],
            root,
            port,
            "/ping",
            {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/.mlmom/mlflow.db"},
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", body, {"content-type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=120).read()
        seconds.append(time.perf_counter() - began)
        proc.terminate()
        proc.wait(timeout=60)
    return {"median_s": round(statistics.median(seconds), 3), "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from mlmom_lab.project import load_project
    from mlmom_lab.registry import get_version
    from mlmom_lab.serving import deployment

    with tempfile.TemporaryDirectory(prefix="mlmom-release-bench-") as tmp:
        root = prepare_project(Path(tmp))
        project = load_project(root)
        other = "2" if deployment.current(project).champion == "1" else "1"
        stored = get_version(None, other, project).onnx["calibration"]
        port = free_port()
        server = serve(
            [str(BIN / "mlmom"), "serve", "--port", str(port), "--workers", "2"],
            root,
            port,
            "/ping",
        )
        try:
            results = {"canary_stored_calibration": canaries(project, other, args.rounds)}
            with_calibration(project, other, {**stored, "hardware": {"cpu": "another machine"}})
            results["canary_calibrated_at_swap"] = canaries(project, other, args.rounds)
            with_calibration(project, other, stored)
        finally:
            server.terminate()
            server.wait(timeout=60)
        restarts = max(3, args.rounds // 3)
        results["mlflow_models_serve_restart"] = mlflow_restart(root, other, restarts)
    ours = results["canary_stored_calibration"]["median_live_s"]
    results["ratios"] = {
        "calibrated_at_swap_to_stored": round(
            results["canary_calibrated_at_swap"]["median_live_s"] / ours, 1
        ),
        "mlflow_restart_to_canary": round(
            results["mlflow_models_serve_restart"]["median_s"] / ours, 1
        ),
    }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
