"""Registering the example's champion, next to MLflow's own ``log_model`` + ``register_model``.

The example pipeline runs once in a temporary folder (its register stage is the first
registration of this code in this environment). Then, in turn, ``--repeats`` times each:

- ``mlmom``: :func:`mlmom_lab.registration.register_model` exactly as the example's register
  stage calls it (the model, its metrics, held-out rows and labels, the training rows as
  reference): the model with its signature and input example, its ONNX twin checked for
  parity and calibrated, reference statistics, SHAP importance and lineage;
- ``mlflow``: ``mlflow.sklearn.log_model(model, name="model", input_example=...)`` in a new
  run, then ``mlflow.register_model``: MLflow's defaults (it infers the signature and the
  pip requirements, and writes the model with skops, as we do), with the one argument its
  default needs for a tree model: ``skops_trusted_types``, the list its error message asks
  for (``skops.io.get_untrusted_types`` of the model, worked out once, outside the timing);
- ``mlflow_cloudpickle``: the same with ``serialization_format="cloudpickle"`` instead, the
  other way past that error: faster to write and load than skops, and unsafe to load.

Each registration runs in the same warm process (imports paid once, as in a notebook), after
a full garbage collection: otherwise a collection of the whole process (~0.35 s here), due
after whichever call allocated the most, falls at random into the next one's timing.
Quote medians and ratios: these machines are noisy.

    python benchmarks/register.py [--repeats 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import gc
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


def trusted_types(model) -> list[str]:
    """What MLflow's refusal of the default (skops) asks to be passed: the model's types."""
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(model))


def mlflows(project, args, **how) -> float:
    """MLflow's ``log_model`` + ``register_model`` of the model, ``how`` it is written."""
    import mlflow
    import mlflow.sklearn

    from mlmom_lab.mlflow_clients import use_project

    use_project(project)
    began = time.perf_counter()
    with mlflow.start_run(run_name="mlflow defaults"):
        info = mlflow.sklearn.log_model(
            args["model"], name="model", input_example=args["input_example"], **how
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
        skops = {"skops_trusted_types": trusted_types(call["model"])}
        contenders = {
            "mlflow": lambda: mlflows(project, call, **skops),
            "mlflow_cloudpickle": lambda: mlflows(
                project, call, serialization_format="cloudpickle"
            ),
            "mlmom": lambda: ours(project, call),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.repeats):  # in turn, so a busy moment hits all alike
            for name, register in contenders.items():
                gc.collect()
                times[name].append(register())
    figures = {
        name: {"median_s": round(statistics.median(t), 2), "runs_s": [round(x, 2) for x in t]}
        for name, t in times.items()
    }
    ours_s = figures["mlmom"]["median_s"]
    figures["ratio"] = round(ours_s / figures["mlflow"]["median_s"], 2)
    figures["ratio_cloudpickle"] = round(ours_s / figures["mlflow_cloudpickle"]["median_s"], 2)
    figures["pipeline_s"] = round(pipeline_s, 1)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
