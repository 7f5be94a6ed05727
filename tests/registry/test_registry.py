"""The registry on a real MLflow SQLite store: versions, lineage, aliases, history, ONNX."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from mlmom_lab import registration, registry
from mlmom_lab.errors import NotFound, RegistryError
from mlmom_lab.project import load_project
from mlmom_lab.registry.reading import reader_for

from ..helpers import mlmom, notebook, spec


@pytest.fixture
def project(tmp_path):
    notebook(tmp_path / "noop.ipynb", "", "pass")
    spec(tmp_path, {"noop": {"notebook": "noop.ipynb"}})
    return load_project(tmp_path)


def frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "amount": rng.normal(50, 10, n),
            "visits": rng.integers(0, 9, n).astype(float),
            "plan": rng.choice(["basic", "plus", "pro"], n),
        }
    )
    X.loc[::9, "amount"] = np.nan
    y = ((X.amount.fillna(50) > 52) ^ (X.plan == "pro")).astype(int)
    return X, y


def classifier(estimator=None):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), ["amount", "visits"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    model = estimator if estimator is not None else RandomForestClassifier(15, random_state=0)
    X, y = frame()
    return Pipeline([("pre", pre), ("model", model)]).fit(X, y), X


def test_classifier_gets_an_onnx_twin_after_a_parity_check(project):
    model, X = classifier()
    info = registration.register_model(
        model, X.head(5), metrics={"roc_auc": 0.8}, held_out=X, project=project
    )
    assert info.version == "1" and info.task == "classification"
    assert info.onnx["status"] == "ok" and info.onnx["max_diff"] < 1e-4
    assert info.onnx["parity_rows"] == len(X)
    assert info.metrics == {"roc_auc": 0.8}
    from mlmom_lab.mlflow_clients import client

    files = [a.path for a in client(project).list_artifacts(info.run_id, "onnx")]
    assert files == ["onnx/model.onnx"]
    import onnxruntime as ort

    from mlmom_lab.registry.onnx import feeds

    twin = reader_for(project).run_file(info.run_id, "onnx/model.onnx")
    session = ort.InferenceSession(twin, providers=["CPUExecutionProvider"])
    labels = session.run(None, feeds(X.head(20), info.onnx["inputs"]))[0]
    assert (labels == model.predict(X.head(20))).all()


def test_the_twin_answers_probabilities_as_one_tensor_of_the_models_own():
    """skl2onnx ends a classifier in a ZipMap (a {class: probability} map per row); the twin
    has it cut: one float tensor, a column per class in the model's order, and labels."""
    import onnx
    import onnxruntime as ort

    from mlmom_lab.registry.onnx import _convert, feeds

    X, y = frame(300, seed=3)
    y = np.array(["churns", "stays", "upgrades"])[y + (X.visits > 6).to_numpy()]
    model = classifier()[0].fit(X, y)
    graph, inputs = _convert(model, X)
    assert "ZipMap" not in {node.op_type for node in onnx.load_from_string(graph).graph.node}
    session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
    probability = session.get_outputs()[1]
    assert probability.type == "tensor(float)" and probability.shape[1] == 3
    labels, probabilities = session.run(None, feeds(X, inputs))
    assert (labels == model.predict(X)).all()
    assert np.abs(probabilities - model.predict_proba(X)).max() < 1e-5


def test_the_conversion_runs_in_a_child_and_gives_the_same_twin(monkeypatch):
    """A scikit-learn model is converted in a forked child while registration goes on; the
    twin and its checks are what converting it here gives."""
    from mlmom_lab.registry.onnx import Exporting

    model, X = classifier()
    with Exporting(model, X, gaps=["amount"]) as exporting:
        forked = exporting.result()
        assert exporting._converted is not None and exporting._converted.forked
    monkeypatch.setenv("MLMOM_FORK", "0")
    with Exporting(model, X, gaps=["amount"]) as exporting:
        here = exporting.result()
    assert forked.status == here.status == "ok"
    assert unnamed(forked.model) == unnamed(here.model)  # skl2onnx names each graph anew
    assert (forked.max_diff, forked.gaps) == (here.max_diff, here.gaps)


def test_the_parity_check_reads_the_answers_the_caller_has():
    """Registration asks the model for its held-out answers once: the parity check reads
    them, and its outcome is the one it reaches asking the model itself."""
    from mlmom_lab.registry.onnx import Exporting

    model, X = classifier()
    answers = (model.predict(X), model.predict_proba(X))
    asked = []  # the number of rows of each question the model is asked

    def counted(method):
        return lambda frame: asked.append(len(frame)) or method(frame)

    model.predict, model.predict_proba = counted(model.predict), counted(model.predict_proba)
    with Exporting(model, X, answers=answers) as exporting:
        known = exporting.result()
    assert len(X) not in asked and known.status == "ok"
    asked.clear()
    with Exporting(model, X) as exporting:
        asked_here = exporting.result()
    assert asked.count(len(X)) >= 2  # the model asked for both on the held-out rows
    assert known.max_diff == asked_here.max_diff


def test_the_checks_open_one_session_with_the_servers_threads(monkeypatch):
    """The parity check and the calibration run on one ONNX Runtime session, opened as a
    server opens it: ONNX Runtime's default pool would spin on every core while the
    registration's forked children need them."""
    from mlmom_lab.registry import crossover, onnx, providers

    opened = []

    def counted(*args, **kwargs):
        opened.append(providers.session(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(onnx, "session", counted)
    monkeypatch.setattr(crossover, "session", counted)
    model, X = classifier()
    with onnx.Exporting(model, X) as exporting:
        assert exporting.result().calibration["hardware"]["threads"] == providers.threads()
    assert len(opened) == 1
    assert opened[0].get_session_options().intra_op_num_threads == providers.threads()


def test_a_boosters_conversion_stays_in_this_process():
    """Its converter calls into XGBoost (and its threads): not something to fork."""
    from mlmom_lab.registry.onnx import Exporting

    model, X = classifier(pytest.importorskip("xgboost").XGBClassifier(n_estimators=5))
    with Exporting(model, X, kind="sklearn") as exporting:  # a pipeline, as kinds says
        assert exporting.result().status == "ok"
        assert exporting._converted is not None and not exporting._converted.forked


def unnamed(graph: bytes) -> bytes:
    import onnx

    model = onnx.load_from_string(graph)
    model.graph.name = ""
    return model.SerializeToString()


def test_the_twin_is_calibrated_once_at_registration_and_a_server_loads_it(project):
    """Registration times both engines and stores from which batch size native wins, with
    the hardware it measured on; a server on like hardware takes that figure (no benchmark
    at swap time), one on other hardware measures again."""
    import json

    from mlmom_lab.mlflow_clients import client
    from mlmom_lab.registry.crossover import ALWAYS_ONNX, CALIBRATION_SIZES
    from mlmom_lab.serving.runtime import load

    model, X = classifier()
    info = registration.register_model(model, X.head(5), held_out=X, project=project)
    stored = info.onnx["calibration"]
    assert stored["onnx_below"] in (*CALIBRATION_SIZES, ALWAYS_ONNX)
    assert stored["hardware"]["providers"][-1] == "CPUExecutionProvider"
    assert stored["hardware"]["cores"] > 0 and stored["hardware"]["threads"] == 1
    mlflow = client(project)

    def store(calibration):
        mlflow.set_model_version_tag(
            info.name, info.version, "mlmom.onnx.calibration", json.dumps(calibration)
        )

    store({**stored, "onnx_below": 7})  # a figure no measurement gives: read, not measured
    assert load(project, info.version).onnx_below == 7
    store({"onnx_below": 7, "hardware": {**stored["hardware"], "cpu": "another machine"}})
    assert load(project, info.version).onnx_below in (*CALIBRATION_SIZES, ALWAYS_ONNX)


class MedianSplit(ClassifierMixin, BaseEstimator):
    """A classifier no ONNX converter knows (a team's own, say)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.cut_ = float(np.median(np.asarray(X)[:, 0]))
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X)[:, 0] > self.cut_).astype(int)]


def test_model_that_does_not_convert_says_why_and_works_natively(project):
    model, X = classifier(MedianSplit())
    info = registration.register_model(model, X.head(5), project=project)
    assert info.onnx["status"] == "failed"
    assert info.onnx["reason"].startswith("conversion failed: ")
    import mlflow

    mlflow.set_tracking_uri(project.tracking_uri)
    native = mlflow.pyfunc.load_model(info.uri)
    assert list(native.predict(X.head(8))) == list(model.predict(X.head(8)))


def test_regressor_registers_with_onnx(project):
    from sklearn.linear_model import Ridge

    X, _ = frame()
    numeric = X[["visits"]].assign(amount=X.amount.fillna(0))
    model = Ridge().fit(numeric, numeric.visits * 3 + numeric.amount)
    info = registration.register_model(
        model, numeric.head(5), metrics={"mae": 0.1}, held_out=numeric, project=project
    )
    assert info.task == "regression" and info.onnx["status"] == "ok"
    assert info.onnx["inputs"] == [("input", "float")]


def test_promote_rollback_and_history_survive_a_restart(project):
    model, X = classifier()
    for _ in range(3):
        registration.register_model(model, X.head(5), project=project)
    registry.promote("1", reason="first", project=project)
    registry.promote("2", alias="challenger", reason="candidate", project=project)
    registry.promote("2", reason="wins by 0.02", project=project)
    registry.promote("3", reason="wins again", project=project)
    with pytest.raises(RegistryError, match="already champion"):
        registry.promote("3", project=project)

    restarted = load_project(project.root)  # a new process reads the same store
    assert registry.get_version(None, "champion", restarted).version == "3"
    back = registry.rollback(reason="latency regression", project=restarted)
    assert (back.from_version, back.to_version, back.action) == ("3", "2", "rollback")
    assert registry.rollback(project=restarted).to_version == "1"
    with pytest.raises(RegistryError, match="no earlier champion"):
        registry.rollback(project=restarted)

    events = [
        (e.alias, e.from_version, e.to_version, e.action)
        for e in registry.history(project=restarted)
    ]
    assert events == [
        ("champion", None, "1", "promote"),
        ("challenger", None, "2", "challenge"),
        ("champion", "1", "2", "promote"),
        ("challenger", "2", None, "clear"),
        ("champion", "2", "3", "promote"),
        ("champion", "3", "2", "rollback"),
        ("champion", "2", "1", "rollback"),
    ]
    last = registry.history(project=restarted)[-1]
    assert last.who and last.when > 0
    assert registry.history(project=restarted, alias="challenger")[0].reason == "candidate"
    assert registry.get_version(None, "1", restarted).aliases == ["champion"]


def test_unknown_models_and_versions_are_not_found(project):
    with pytest.raises(NotFound, match="no registered model named 'toy-model'"):
        registry.get_version(None, "1", project)
    model, X = classifier()
    registration.register_model(model, X.head(5), project=project)
    with pytest.raises(NotFound, match="no version 9"):
        registry.get_version(None, "9", project)
    with pytest.raises(NotFound, match="no version or alias 'champion'"):
        registry.get_version(None, "champion", project)
    with pytest.raises(NotFound):
        registry.promote("7", project=project)


def test_cli_registry_commands(project):
    model, X = classifier()
    registration.register_model(model, X.head(5), metrics={"roc_auc": 0.7}, project=project)
    registration.register_model(model, X.head(5), metrics={"roc_auc": 0.75}, project=project)
    root = project.root
    assert "toy-model v2" in mlmom("registry", "list", cwd=root, check=True).stdout
    out = mlmom("registry", "promote", "2", "-m", "better auc", cwd=root, check=True).stdout
    assert out.strip() == "champion: - -> 2"
    history = mlmom("registry", "history", cwd=root, check=True).stdout
    assert "champion      - -> 2    promote   " in history and "better auc" in history
    compare = mlmom("registry", "compare", "1", "2", cwd=root, check=True).stdout
    assert "roc_auc" in compare and "(+0.0500)" in compare
    bad = mlmom("registry", "show", "toy-model@42", cwd=root)
    assert (
        bad.returncode == 1 and bad.stderr.strip() == "error: model 'toy-model' has no version 42"
    )
    bad = mlmom("registry", "rollback", cwd=root)
    assert bad.returncode == 1 and "no earlier champion" in bad.stderr
    typo = mlmom("registry", "promote", "1", "--alias", "champoin", cwd=root)
    assert typo.returncode == 1 and typo.stderr.strip() == (
        "error: alias 'champoin' would be new, and is close to 'champion': "
        "a typo? (--new-alias creates it)"
    )
    assert "champoin" not in mlmom("registry", "list", cwd=root, check=True).stdout
    meant = mlmom("registry", "promote", "1", "--alias", "champoin", "--new-alias", cwd=root)
    assert meant.returncode == 0 and meant.stdout.strip() == "champoin: - -> 1"
    other = mlmom("registry", "promote", "1", "--alias", "staging", cwd=root, check=True)
    assert other.stdout.strip() == "staging: - -> 1"  # far from every alias: new, as asked


def test_compare_shows_a_tiny_difference_as_itself():
    """An ONNX twin's largest difference (5e-07) is not shown as 0.0000."""
    from mlmom_lab.cli.registry import _number, _short

    assert [_short(v) for v in (5e-07, 0.75, 0.0, 12.0)] == ["5e-07", "0.7500", "0.0000", "12.0000"]
    assert (_number(0.05, "+"), _number(-3e-06, "+"), _number(0.0, "+")) == (
        "+0.0500",
        "-3e-06",
        "+0.0000",
    )


def test_version_from_the_pipeline_carries_lineage(example_run, tmp_path):
    project, result = example_run
    info = registry.get_version(None, "champion", project)
    assert info.lineage["pipeline_run_id"] == result.run_id
    lineage = registry.get_lineage(info, project)
    assert lineage["pipeline_run_id"] == result.run_id
    assert set(lineage["stages"]) == {"prepare", "train", "evaluate", "register"}
    train = lineage["stages"]["train"]
    assert train["params"] == {
        "n_iter": 6,
        "cv": 3,
        "seed": 7,
        "scoring": "roc_auc",
        "candidates": "forest,xgboost",
    }
    assert train["executed_notebook"].endswith(f"{result.run_id}/train.ipynb")
    assert train["mlflow_run_id"] == result.stage("train").mlflow_run_id
    import mlflow

    mlflow.set_tracking_uri(project.tracking_uri)
    local = mlflow.artifacts.download_artifacts(
        lineage["stages"]["register"]["notebook_artifact"], dst_path=str(tmp_path)
    )
    assert "register_model(" in Path(local).read_text()
    from mlmom_lab.pipeline.hashing import Hasher

    hasher = Hasher(project.root)
    for path in ("data/train.parquet", "churn_data.py"):
        assert lineage["data"][path] == hasher.path(path)
    assert lineage["sources"] == {"churn_data.py": hasher.path("churn_data.py")}
    assert lineage["environment"]["python"].startswith("3.")
    assert lineage["git"] is None  # the copied project is not in a git repository
    assert set(info.metrics) >= {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert info.onnx["status"] == "ok"
    assert [e.action for e in registry.history(project=project)][:2] == ["challenge", "promote"]


def test_example_pipeline_logs_trials_metrics_and_figure(example_run):
    project, result = example_run
    from mlmom_lab.mlflow_clients import client

    mlflow = client(project)
    train = mlflow.get_run(result.stage("train").mlflow_run_id)
    trials = mlflow.search_runs(
        [train.info.experiment_id], f"tags.mlflow.parentRunId = '{train.info.run_id}'"
    )
    assert len(trials) == 6  # n_iter: one child run per search trial
    assert all("cv_roc_auc" in t.data.metrics and "max_depth" in t.data.params for t in trials)
    assert train.data.metrics["best_cv_roc_auc"] == max(
        t.data.metrics["cv_roc_auc"] for t in trials
    )
    evaluate = mlflow.get_run(result.stage("evaluate").mlflow_run_id)
    assert set(evaluate.data.metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    files = {a.path for a in mlflow.list_artifacts(evaluate.info.run_id)}
    assert {"confusion_matrix.png", "notebook"} <= files


def test_bad_alias_names_and_empty_registry(project):
    assert registry.list_versions(project=project) == []
    assert "no versions yet" in mlmom("registry", "list", cwd=project.root, check=True).stdout
    model, X = classifier()
    registration.register_model(model, X.head(5), project=project)
    for alias in ("latest", "v3", "bad alias"):
        result = mlmom("registry", "promote", "1", "--alias", alias, cwd=project.root)
        assert result.returncode == 1
        assert result.stderr.strip().startswith(f"error: alias '{alias}' is not allowed")
    assert registry.history(project=project) == []
