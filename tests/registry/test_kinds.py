"""Every kind of model registers as it is and is served as it answers: scikit-learn
estimators and pipelines, XGBoost and LightGBM (bare and in a pipeline), an MLflow
PythonModel, an ONNX network and a clusterer. The runtime that loads a registered version,
and a real server on 127.0.0.1 that releases it as champion, answer exactly what the model
answers, over both protocols, for 1, 2 and 64 rows with gaps where the model takes them
(within the twin's parity tolerance where its ONNX twin passed parity); the v2 metadata,
read by a real v2 client (tritonclient), names the outputs in the model's own types."""

import json
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from mlmom_lab import registration, registry, release
from mlmom_lab.errors import InvalidRequest, NotFound
from mlmom_lab.project import load_project
from mlmom_lab.registry.onnx import PARITY_TOLERANCE
from mlmom_lab.serving.runtime import load
from mlmom_lab.serving.schema import v2_datatype

from ..helpers import notebook, spec, start_server

xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    notebook(root / "noop.ipynb", "", "pass")
    spec(root, {"noop": {"notebook": "noop.ipynb"}})
    return load_project(root)


@pytest.fixture(scope="module")
def server(project):
    """One real server (one worker) for the module; each test releases its model to it."""
    from sklearn.linear_model import LinearRegression

    X = customers(gaps=False)
    first = registration.register_model(
        LinearRegression().fit(X, X.tenure), X.head(5), project=project
    )
    registry.promote(first.version, project=project, reason="test: the server's first model")
    proc, port = start_server(project.root, "--workers", "1")
    yield port
    proc.terminate()
    proc.wait(timeout=120)


def customers(n=600, seed=0, gaps=True):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "spend": rng.normal(50, 10, n),
            "visits": rng.integers(0, 9, n).astype(float),
            "tenure": rng.normal(12, 4, n),
        }
    )
    if gaps:
        frame.loc[::9, "spend"] = np.nan
    return frame


def churned(frame):
    return ((frame.spend.fillna(50) > 52) ^ (frame.visits > 5)).astype(int)


def plan(frame):
    return pd.Series(
        np.array(["basic", "plus", "pro"])[
            np.digitize(frame.spend.fillna(50) + frame.visits, [52, 58])
        ],
        index=frame.index,
    )


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


def network_classifier():
    """A classifier network exported to ONNX: one 2-D input, the label and the class
    probabilities as outputs, string labels picked from a constant of the graph."""
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPClassifier

    X = customers(gaps=False)
    net = MLPClassifier(hidden_layer_sizes=(16,), max_iter=400, random_state=0)
    net.fit(X.to_numpy(np.float32), plan(X))
    return to_onnx(net, X.to_numpy(np.float32)[:1], options={"zipmap": False})


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
        (
            "sklearn-histgb-strings",
            HistGradientBoostingClassifier(max_iter=30).fit(X, plan(X)),
            X,
            None,
            "classification",
        ),
        (
            "xgboost-classifier",
            xgboost.XGBClassifier(n_estimators=30).fit(X, churned(X)),
            X,
            None,
            "classification",
        ),
        ("xgboost-in-pipeline", boosted.fit(X, X.tenure * 2), X, None, "regression"),
        (
            "lightgbm-multiclass",
            lightgbm.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, plan(X)),
            X,
            None,
            "classification",
        ),
        (
            "lightgbm-regressor",
            lightgbm.LGBMRegressor(n_estimators=30, verbose=-1).fit(X, X.tenure * 2),
            X,
            None,
            "regression",
        ),
        ("pyfunc", Rule(), full, "classification", "classification"),
        ("onnx-network", network(), full, "regression", "regression"),
        ("onnx-network-classifier", network_classifier(), full, "classification", "classification"),
        ("kmeans", KMeans(3, n_init=2, random_state=0).fit(full), full, None, "clustering"),
    ]


ARGMAX_CASES = {
    "sklearn-forest-pipeline",
    "sklearn-histgb-strings",
    "xgboost-classifier",
    "lightgbm-multiclass",
}


def own_answers(model, frame):
    """What the model itself says, without mlmom: the truth the runtime must match."""
    if type(model).__name__ == "ModelProto":
        return run_graph(model, frame)[0].ravel()
    if type(model).__name__ == "RuleModel":
        return model.predict(None, frame)
    return model.predict(frame)


def own_probabilities(model, frame):
    """The class probabilities the model itself gives (None where it gives none)."""
    if type(model).__name__ == "ModelProto":
        outputs = run_graph(model, frame)
        return outputs[1] if len(outputs) > 1 else None
    return model.predict_proba(frame) if hasattr(model, "predict_proba") else None


def run_graph(model, frame):
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: frame.to_numpy(np.float32)})


def as_json(frame):
    return {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame}


@pytest.mark.http
@pytest.mark.parametrize("case", models(), ids=lambda case: case[0])
def test_each_kind_registers_and_is_served_as_it_answers(project, server, case):
    name, model, frame, declared, task = case
    info = registration.register_model(
        model, frame.head(5), held_out=frame, task=declared, project=project
    )
    assert info.task == task
    twin = info.onnx.get("status") == "ok"
    runtime = load(project, info.version)
    for rows in (1, 2, 64):
        part = frame.head(rows)
        columns = runtime.schema.validate(as_json(part))
        answer = runtime.predict(columns)
        assert_same(
            answer.values, answer.probabilities, model, part, task, twin and answer.engine == "onnx"
        )
        native = runtime._predict_native(columns)  # labels by argmax where the model does so
        assert_same(native.values, native.probabilities, model, part, task, False)
    assert runtime.labels_by_argmax == (name in ARGMAX_CASES)
    moved = release.assign(info.version, project=project, reason=f"test: serve {name}")
    assert "live on 1 of 1 worker " in moved.release.message
    for rows in (1, 2, 64):
        part = frame.head(rows)
        v2 = infer_v2(server, project.spec.model, part)
        mlflow_answer = invocations(server, part)
        values = np.asarray(v2["predict"]["data"])
        probabilities = (
            np.reshape(v2["predict_proba"]["data"], v2["predict_proba"]["shape"])
            if "predict_proba" in v2
            else None
        )
        assert_same(values, probabilities, model, part, task, twin)
        assert_same(np.asarray(mlflow_answer), None, model, part, task, twin)
    assert_metadata_is_true(server, project.spec.model, model, frame)
    assert_explained_and_monitored(project, server, info, frame, task)


def assert_explained_and_monitored(project, port, info, frame, task):
    """Explanations (stored at registration, and of one logged request) and a monitoring
    check with the metrics of the task work for the version, whatever its kind."""
    from mlmom_lab.explain import explain_request, global_importance
    from mlmom_lab.monitor_check import run_check

    importance = global_importance(project, info.version)
    assert {f.name for f in importance.features} == set(frame.columns)
    request_id = f"kinds-{info.version}"
    invocations(port, frame.head(3), request_id)
    for _ in range(100):  # the log is written in the background within ~50 ms
        try:
            explained = explain_request(project, request_id, row=1)
            break
        except NotFound:
            time.sleep(0.1)
    shap = explained.explanations["shap"]
    assert shap.total == pytest.approx(shap.output, abs=1e-4)  # additive, whatever the kind
    checked = run_check(project, version=info.version).drift
    assert checked.window.rows >= 2 * (1 + 2 + 64)
    performance = checked.performance
    if task in ("classification", "clustering"):
        assert sum(performance.shares["current"].values()) == pytest.approx(1)


def assert_same(values, probabilities, model, part, task, twin):
    """The served answer is the model's own: labels exactly; values and probabilities to
    1e-9 from the model itself, to the parity tolerance from its checked ONNX twin."""
    truth = np.asarray(own_answers(model, part))
    tolerance = PARITY_TOLERANCE if twin else 1e-9
    if truth.dtype.kind in "fc" and task in ("regression", "other"):
        np.testing.assert_allclose(values.astype(float), truth, rtol=tolerance, atol=tolerance)
    else:
        assert values.tolist() == truth.tolist()
    if probabilities is not None:
        assert probabilities.max() <= 1.0  # never above 1, whatever float32 summed to
        np.testing.assert_allclose(probabilities, own_probabilities(model, part), atol=tolerance)


def infer_v2(port, name, part):
    inputs = [
        {"name": c, "shape": [len(part)], "datatype": "FP64", "data": as_json(part)[c]}
        for c in part.columns
    ]
    answer = post(port, f"/v2/models/{name}/infer", {"inputs": inputs})
    return {o["name"]: o for o in answer["outputs"]}


def invocations(port, part, request_id=None):
    body = {
        "dataframe_split": {
            "columns": list(part.columns),
            "data": [list(r) for r in zip(*as_json(part).values())],
        }
    }
    return post(port, "/invocations", body, request_id)["predictions"]


def post(port, path, body, request_id=None):
    headers = {
        "content-type": "application/json",
        **({"x-request-id": request_id} if request_id else {}),
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), headers
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def assert_metadata_is_true(port, name, model, frame):
    """Read by tritonclient: the outputs the version has, in the types the model answers in;
    an infer through it, asking for one output, gets that one."""
    import tritonclient.http as triton

    client = triton.InferenceServerClient(f"127.0.0.1:{port}")
    metadata = client.get_model_metadata(name)
    part = frame.dropna().head(3)
    truth = np.asarray(own_answers(model, part))
    outputs = {o["name"]: o for o in metadata["outputs"]}
    assert outputs["predict"]["datatype"] == v2_datatype(truth.dtype)
    expected = own_probabilities(model, part)
    if expected is not None:
        assert outputs["predict_proba"]["datatype"] == v2_datatype(expected.dtype)
        assert outputs["predict_proba"]["shape"] == [-1, expected.shape[1]]
    else:
        assert set(outputs) == {"predict"}
    inputs = []
    for column in metadata["inputs"]:
        tensor = triton.InferInput(column["name"], [len(part)], column["datatype"])
        tensor.set_data_from_numpy(part[column["name"]].to_numpy(np.float64), binary_data=False)
        inputs.append(tensor)
    result = client.infer(
        name, inputs, outputs=[triton.InferRequestedOutput("predict", binary_data=False)]
    )
    assert [o["name"] for o in result.get_response()["outputs"]] == ["predict"]
    got = [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("predict").tolist()]
    if truth.dtype.kind == "f":
        np.testing.assert_allclose(got, truth, rtol=PARITY_TOLERANCE)
    else:
        assert got == truth.tolist()
    client.close()


def test_an_object_no_kind_takes_is_refused_before_anything_is_logged(project):
    from mlmom_lab.mlflow_clients import client

    before = (
        len(
            client(project).search_runs(
                [client(project).get_experiment_by_name(project.spec.project).experiment_id]
            )
        )
        if client(project).get_experiment_by_name(project.spec.project)
        else 0
    )
    with pytest.raises(InvalidRequest, match="cannot register a builtins.dict"):
        registration.register_model({"weights": [1, 2]}, customers().head(5), project=project)
    with pytest.raises(InvalidRequest, match="is not a .onnx file"):
        registration.register_model("model.pkl", customers().head(5), project=project)
    broken = lightgbm.LGBMClassifier()  # never fitted: it cannot answer
    with pytest.raises(InvalidRequest, match="the model cannot predict its held-out rows"):
        registration.register_model(broken, customers().head(5), project=project)
    with pytest.raises(InvalidRequest, match="task 'ranking' is not one of"):
        registration.register_model(Rule(), customers().head(5), task="ranking", project=project)
    experiment = client(project).get_experiment_by_name(project.spec.project)
    after = len(client(project).search_runs([experiment.experiment_id])) if experiment else 0
    assert after == before  # nothing was logged
