"""Registering the example's champion, next to MLflow's own ``log_model`` + ``register_model``.

The example pipeline runs once in a temporary folder (its register stage is the first
registration of this code in this environment). Then, in turn, ``--repeats`` times each:

- ``mlmom``: :func:`mlmom_lab.registration.register_model` exactly as the example's register
  stage calls it (the model, its metrics, held-out rows and labels, the training rows as
  reference): the model with its signature and input example, its ONNX twin checked for
  parity and calibrated, reference statistics, SHAP importance and lineage;
- ``mlflow``: ``mlflow.sklearn.log_model(model, name="model", input_example=...)`` in a new
  run, then ``mlflow.register_model``: MLflow's defaults (it infers the signature and the
  pip requirements), except ``serialization_format="cloudpickle"``: MLflow 3.17's default,
  skops, refuses a tree model unless its types are listed as trusted.

Each registration runs in the same warm process (imports paid once, as in a notebook).
Quote medians and ratios: these machines are noisy.

    python benchmarks/register.py [--repeats 3] [--json results.json]
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
from example import copy_example


def setup(folder: Path):
    """The example, run once; returns the project and what its register stage passes."""
    import joblib
    import pandas as pd

    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project

    root = folder / "churn"
    copy_example(root)
    project = load_project(root)
    began = time.perf_counter()
    assert run_pipeline(project).ok, "the example pipeline failed"
    pipeline_s = time.perf_counter() - began
    sys.path.insert(0, str(root))
    from churn_data import FEATURES, TARGET  # the example's own module

    test = pd.read_parquet(root / "data" / "test.parquet")
    train = pd.read_parquet(root / "data" / "train.parquet")
    args = {
        "model": joblib.load(root / "models" / "model.joblib"),
        "input_example": test[FEATURES].head(5),
        "metrics": json.loads((root / "reports" / "metrics.json").read_text()),
        "held_out": test[FEATURES],
        "held_out_target": test[TARGET],
        "reference": train[FEATURES],
        "reference_target": train[TARGET],
    }
    return project, args, pipeline_s


def ours(project, args) -> float:
    from mlmom_lab.registration import register_model

    began = time.perf_counter()
    register_model(**args, project=project)
    return time.perf_counter() - began


def mlflows(project, args) -> float:
    import mlflow
    import mlflow.sklearn

    from mlmom_lab.mlflow_clients import use_project

    use_project(project)
    began = time.perf_counter()
    with mlflow.start_run(run_name="mlflow defaults"):
        info = mlflow.sklearn.log_model(
            args["model"],
            name="model",
            input_example=args["input_example"],
            serialization_format="cloudpickle",
        )
    mlflow.register_model(info.model_uri, "mlflow-defaults")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project, call, pipeline_s = setup(Path(tmp))
        times: dict[str, list[float]] = {"mlmom": [], "mlflow": []}
        for _ in range(args.repeats):  # in turn, so a busy moment hits both alike
            times["mlflow"].append(mlflows(project, call))
            times["mlmom"].append(ours(project, call))
    figures = {
        name: {"median_s": round(statistics.median(t), 2), "runs_s": [round(x, 2) for x in t]}
        for name, t in times.items()
    }
    figures["ratio"] = round(figures["mlmom"]["median_s"] / figures["mlflow"]["median_s"], 2)
    figures["pipeline_s"] = round(pipeline_s, 1)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
