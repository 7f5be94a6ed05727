"""The example's search may crown XGBoost as well as the forest: with XGBoost alone, the
same pipeline registers a champion with a parity-checked ONNX twin and SHAP's exact tree
explainer, and serving answers exactly what the pipeline it registered answers."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


def test_an_xgboost_champion_goes_through_the_same_lifecycle(tmp_path):
    pytest.importorskip("xgboost")
    from mlmom_lab.explain import global_importance
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project
    from mlmom_lab.registry import get_version
    from mlmom_lab.registry.kinds import load as load_native
    from mlmom_lab.serving.runtime import load

    root = tmp_path / "churn"
    shutil.copytree(
        REPO / "notebooks",
        root,
        ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports", "__pycache__"),
    )
    project = load_project(root)
    result = run_pipeline(project, overrides={"train": {"candidates": "xgboost", "n_iter": 2}})
    assert result.ok, [s.error for s in result.stages]
    champion = get_version(None, "champion", project)
    assert champion.description == "XGBClassifier, tuned" and champion.kind == "sklearn"
    assert champion.onnx["status"] == "ok" and champion.onnx["max_diff"] < 1e-4
    importance = global_importance(project)
    assert importance.kind == "tree" and importance.output_name == "log-odds of 1"
    test = pd.read_parquet(root / "data" / "test.parquet")
    features = [c for c in test.columns if c != "churned"]
    runtime = load(project, champion.version)
    native = load_native(champion.source)
    for rows in (1, 2, 64, 1500):
        part = test[features].head(rows)
        answer = runtime.predict(
            runtime.schema.validate(
                {c: part[c].astype(object).where(part[c].notna(), None).tolist() for c in part}
            )
        )
        assert answer.values.tolist() == native.predict(part).tolist()
        np.testing.assert_allclose(answer.probabilities, native.predict_proba(part), atol=1e-4)
