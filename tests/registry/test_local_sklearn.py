"""A scikit-learn model in an MLflow model folder on this disk is read without importing
MLflow, exactly as ``mlflow.sklearn.load_model`` reads it; what MLflow does more (code logged
with the model, its deserialization gate) stays MLflow's."""

import subprocess
import sys

import mlflow.sklearn
import numpy as np
import pytest
import skops.io as sio

from mlmom_lab.registry import kinds, local_sklearn

from .test_registry import classifier


@pytest.fixture(scope="module")
def fitted():
    return classifier()


def saved(tmp_path, model, **kwargs):
    folder = tmp_path / "model"  # requirements given: MLflow's inference is not what is tested
    mlflow.sklearn.save_model(model, folder, pip_requirements=["scikit-learn"], **kwargs)
    return folder


@pytest.mark.parametrize("form", ["skops", "cloudpickle", "pickle"])
def test_it_answers_as_mlflows_load_does(tmp_path, fitted, form):
    model, X = fitted
    trusted = sio.get_untrusted_types(data=sio.dumps(model)) if form == "skops" else None
    folder = saved(tmp_path, model, serialization_format=form, skops_trusted_types=trusted)
    here = local_sklearn.load(folder)
    assert type(here) is type(model)
    theirs = mlflow.sklearn.load_model(str(folder))
    assert np.array_equal(here.predict_proba(X), theirs.predict_proba(X))
    assert kinds.load(str(folder)).predict(X).tolist() == model.predict(X).tolist()


def test_what_mlflow_does_more_is_left_to_mlflow(tmp_path, fitted, monkeypatch):
    model, _ = fitted
    code = tmp_path / "features.py"
    code.write_text("X = 1\n")
    with_code = saved(tmp_path / "a", model, serialization_format="cloudpickle",
                      code_paths=[str(code)])  # fmt: skip
    assert local_sklearn.load(with_code) is None  # MLflow puts the code on sys.path first
    plain = saved(tmp_path / "b", model, serialization_format="cloudpickle")
    monkeypatch.setenv(local_sklearn.GATE, "false")  # MLflow refuses to deserialize
    assert local_sklearn.load(plain) is None
    with pytest.raises(mlflow.exceptions.MlflowException, match="disallowed"):
        kinds.load(str(plain))
    assert local_sklearn.load(tmp_path / "nothing here") is None


def test_reading_a_local_model_does_not_import_mlflow(tmp_path, fitted):
    model, _ = fitted
    folder = saved(tmp_path, model, serialization_format="skops",
                   skops_trusted_types=sio.get_untrusted_types(data=sio.dumps(model)))  # fmt: skip
    probe = (
        "import sys; from mlmom_lab.registry.kinds import load; "
        f"load({str(folder)!r}); print('mlflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"
