"""Read commands, cold: each one in a new process, next to ``python -c "import mlflow"`` in the
same run (the floor any command that imports MLflow starts from).

The example pipeline runs in a temporary folder (one registered version; a second is
registered from the same run so `compare` and `history` have two), a real server answers 500
customers, and one monitoring check runs, so `monitor status` and `monitor alerts` have
something to show. Then every command runs ``--repeats`` times, in turn with the import, each
in a fresh process; each is also timed with ``MLMOM_REGISTRY_READER=mlflow`` (every registry
read through the MLflow client, as before the direct readers). Quote medians and ratios:
these machines are noisy.

    python benchmarks/read_commands.py [--repeats 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from example import copy_example

MLMOM = str(Path(sys.executable).with_name("mlmom"))

COMMANDS = {
    "registry list": ("registry", "list"),
    "registry show champion": ("registry", "show", "champion"),
    "registry history": ("registry", "history"),
    "registry compare 1 2": ("registry", "compare", "1", "2"),
    "deploy status": ("deploy", "status"),
    "status": ("status",),
    "monitor status": ("monitor", "status"),
    "monitor alerts": ("monitor", "alerts"),
    "audit": ("audit",),
}


def setup(folder: Path) -> Path:
    """The example, run and served, 500 logged rows and one check; returns its root."""
    from mlmom_lab.demo.monitoring import customers, stream
    from mlmom_lab.mlflow_clients import client, use_project
    from mlmom_lab.monitor_check import run_check
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project
    from mlmom_lab.serving.launch import start_server

    root = folder / "churn"
    copy_example(root)
    project = load_project(root)
    assert run_pipeline(project).ok, "the example pipeline failed"
    use_project(project)  # the registry resolves a `models:/m-...` source through it
    mlflow = client(project)
    first = mlflow.get_model_version(project.spec.model, "1")
    mlflow.create_model_version(first.name, first.source, first.run_id, tags=first.tags)
    server, port = start_server(root)
    try:
        stream(port, customers(project, 500, seed=3, shift=0.5), "bench", batch=50)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    run_check(project)
    return root


def cold(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds one command takes in a new process; it must succeed."""
    began = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return seconds


def measure(root: Path, repeats: int) -> dict[str, dict[str, float]]:
    env = {**os.environ, "NO_COLOR": "1"}
    through_mlflow = {**env, "MLMOM_REGISTRY_READER": "mlflow"}
    runs: dict[str, list[float]] = {"import mlflow": []}
    for _ in range(repeats):  # interleaved, so a busy moment hits every command alike
        runs["import mlflow"].append(cold([sys.executable, "-c", "import mlflow"], root, env))
        for label, args in COMMANDS.items():
            runs.setdefault(label, []).append(cold([MLMOM, *args], root, env))
            if args[0] == "registry":
                slow = cold([MLMOM, *args], root, through_mlflow)
                runs.setdefault(f"{label} (through MLflow)", []).append(slow)
    return {
        label: {"median_s": statistics.median(times), "min_s": min(times)}
        for label, times in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = setup(Path(tmp))
        figures = measure(root, args.repeats)
    floor = figures["import mlflow"]["median_s"]
    print(f"{'command':42} {'median s':>9} {'min s':>7} {'vs import mlflow':>17}")
    for label, figure in figures.items():
        ratio = figure["median_s"] / floor
        print(f"{label:42} {figure['median_s']:9.2f} {figure['min_s']:7.2f} {ratio:16.2f}x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
