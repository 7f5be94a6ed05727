"""Time to ready: from starting the server to its first 200, next to `mlflow models serve`.

The example project is run (a champion and a second version). Then, in turn,
``--repeats`` times each, a cold process of:

- ``mlmom serve`` (one worker, its defaults) until ``GET /v2/health/ready`` answers 200;
- ``mlflow models serve -m models:/churn-classifier/1 --env-manager local`` (its defaults)
  until ``GET /ping`` answers 200.

Each is stopped before the next starts. Quote medians and ratios: these machines are noisy.

    python benchmarks/start.py [--repeats 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from serving import BIN, prepare_project, serve

from mlmom_lab.serving.launch import free_port


def ready_after(cmd: list[str], root: Path, port: int, health: str, env=None) -> float:
    """Seconds from starting ``cmd`` to the first answer of ``health``; then it is stopped."""
    began = time.perf_counter()
    proc = serve(cmd, root, port, health, env)
    seconds = time.perf_counter() - began
    proc.terminate()
    proc.wait(timeout=60)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"mlmom serve": [], "mlflow models serve": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = prepare_project(Path(tmp))
        store = {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/.mlmom/mlflow.db"}
        for _ in range(args.repeats):  # in turn, so a busy moment hits both alike
            port = free_port()
            ours = [str(BIN / "mlmom"), "serve", "--port", str(port)]
            times["mlmom serve"].append(ready_after(ours, root, port, "/v2/health/ready"))
            port = free_port()
            mlflow = [str(BIN / "mlflow"), "models", "serve", "-m", "models:/churn-classifier/1",
                      "-p", str(port), "--env-manager", "local"]  # fmt: skip
            times["mlflow models serve"].append(ready_after(mlflow, root, port, "/ping", store))
    figures: dict[str, object] = {
        name: {"median_s": round(statistics.median(t), 2), "runs_s": [round(x, 2) for x in t]}
        for name, t in times.items()
    }
    figures["ratio"] = round(
        statistics.median(times["mlmom serve"]) / statistics.median(times["mlflow models serve"]),
        2,
    )
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
