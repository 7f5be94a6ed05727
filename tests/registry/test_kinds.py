"""Every kind of model registers as it is and is served as it answers: scikit-learn
estimators and pipelines, XGBoost and LightGBM (bare and in a pipeline), an MLflow
PythonModel, ONNX graphs (a network, as a proto and as a file) and a clusterer; the runtime
that loads a registered version answers exactly what the model answers (within the twin's
stated tolerance where its ONNX twin passed parity)."""

import numpy as np
import pandas as pd
import pytest

from mlmom_lab import registry
from mlmom_lab.config import load_project
from mlmom_lab.errors import InvalidRequest
from mlmom_lab.registry.onnx import PARITY_TOLERANCE
from mlmom_lab.serving.runtime import load

from ..helpers import notebook, spec

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    notebook(root / "noop.ipynb", "", "pass")
    spec(root, {"noop": {"notebook": "noop.ipynb"}})
    return load_project(root)


def customers(n=600, seed=0, gaps=True):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"spend": rng.normal(50, 10, n), "visits": rng.integers(0, 9, n)
                          .astype(float), "tenure": rng.normal(12, 4, n)})
    if gaps:
        frame.loc[::9, "spend"] = np.nan
    return frame


def churned(frame):
    return ((frame.spend.fillna(50) > 52) ^ (frame.visits > 5)).astype(int)


def plan(frame):
    return pd.Series(np.array(["basic", "plus", "pro"])[
        np.digitize(frame.spend.fillna(50) + frame.visits, [52, 58])], index=frame.index)


class Rule:
    """A model written by hand, as an MLflow PythonModel (context argument and all)."""

    def __new__(cls):
        import mlflow.pyfunc

        class RuleModel(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return (model_input["visits"] > 5).astype(int).to_numpy()

        return RuleModel()


def network():
    """A small neural network exported to ONNX (as from torch.onnx or tf2onnx): one 2-D
    float input, one output."""
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPRegressor

    X = customers(gaps=False)
    net = MLPRegressor(hidden_layer_sizes=(16,), max_iter=400, random_state=0)
    net.fit(X.to_numpy(np.float32), X.spend / 10)
    return to_onnx(net, X.to_numpy(np.float32)[:1])


def models():
    """(id, the fitted model, its rows, the task declared, the task expected)."""
    from sklearn.cluster import KMeans
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, full = customers(), customers(gaps=False)
    forest = make_pipeline(SimpleImputer(), RandomForestClassifier(n_estimators=20, random_state=0))
    boosted = make_pipeline(StandardScaler(), xgboost.XGBRegressor(n_estimators=30))
    return [
        ("sklearn-forest-pipeline", forest.fit(X, churned(X)), X, None, "classification"),
        ("sklearn-histgb-strings", HistGradientBoostingClassifier(max_iter=30).fit(X, plan(X)),
         X, None, "classification"),
        ("xgboost-classifier", xgboost.XGBClassifier(n_estimators=30).fit(X, churned(X)), X,
         None, "classification"),
        ("xgboost-in-pipeline", boosted.fit(X, X.tenure * 2), X, None, "regression"),
        ("lightgbm-multiclass", lightgbm.LGBMClassifier(n_estimators=30, verbose=-1)
         .fit(X, plan(X)), X, None, "classification"),
        ("lightgbm-regressor", lightgbm.LGBMRegressor(n_estimators=30, verbose=-1)
         .fit(X, X.tenure * 2), X, None, "regression"),
        ("pyfunc", Rule(), full, "classification", "classification"),
        ("onnx-network", network(), full, "regression", "regression"),
        ("kmeans", KMeans(3, n_init=2, random_state=0).fit(full), full, None, "clustering"),
    ]


def own_answers(model, frame):
    """What the model itself says, without mlmom: the truth the runtime must match."""
    if type(model).__name__ == "ModelProto":
        import onnxruntime as ort

        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        feeds = {session.get_inputs()[0].name: frame.to_numpy(np.float32)}
        return session.run(None, feeds)[0].ravel()
    if type(model).__name__ == "RuleModel":
        return model.predict(None, frame)
    return model.predict(frame)


def as_json(frame):
    return {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame}


@pytest.mark.parametrize("case", models(), ids=lambda case: case[0])
def test_each_kind_registers_and_is_served_as_it_answers(project, case):
    name, model, frame, declared, task = case
    info = registry.register_model(model, frame.head(5), held_out=frame, task=declared,
                                   project=project)
    assert info.task == task
    runtime = load(project, info.version)
    for rows in (1, 2, 64):
        part = frame.head(rows)
        answer = runtime.predict(runtime.schema.validate(as_json(part)))
        truth = np.asarray(own_answers(model, part))
        if truth.dtype.kind in "fc" and task in ("regression", "other"):
            tolerance = PARITY_TOLERANCE if answer.engine == "onnx" else 1e-9
            np.testing.assert_allclose(answer.values, truth, rtol=tolerance, atol=tolerance)
        else:
            assert answer.values.tolist() == truth.tolist(), (answer.engine, rows)
        if answer.probabilities is not None:
            expected = model.predict_proba(part)
            tolerance = PARITY_TOLERANCE if answer.engine == "onnx" else 1e-9
            np.testing.assert_allclose(answer.probabilities, expected, atol=tolerance)
            assert answer.probabilities.max() <= 1.0 + 1e-6


def test_an_object_no_kind_takes_is_refused_before_anything_is_logged(project):
    from mlmom_lab.mlflow_store import client

    before = len(client(project).search_runs(
        [client(project).get_experiment_by_name(project.spec.project).experiment_id])) \
        if client(project).get_experiment_by_name(project.spec.project) else 0
    with pytest.raises(InvalidRequest, match="cannot register a builtins.dict"):
        registry.register_model({"weights": [1, 2]}, customers().head(5), project=project)
    with pytest.raises(InvalidRequest, match="is not a .onnx file"):
        registry.register_model("model.pkl", customers().head(5), project=project)
    broken = lightgbm.LGBMClassifier()  # never fitted: it cannot answer
    with pytest.raises(InvalidRequest, match="the model cannot predict its held-out rows"):
        registry.register_model(broken, customers().head(5), project=project)
    with pytest.raises(InvalidRequest, match="task 'ranking' is not one of"):
        registry.register_model(Rule(), customers().head(5), task="ranking", project=project)
    experiment = client(project).get_experiment_by_name(project.spec.project)
    after = len(client(project).search_runs([experiment.experiment_id])) if experiment else 0
    assert after == before  # nothing was logged
