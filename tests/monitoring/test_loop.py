"""The retraining loop end to end, with a real server on a copy of the example: shifted traffic
and late labels fire an alert, the pipeline retrains on the recent rows, the challenger goes
out as a canary, wins on live labels and is promoted; every step recorded."""

import json
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from mlmom_lab import registration, registry, release
from mlmom_lab.demo.monitoring import customers as drifting
from mlmom_lab.demo.monitoring import stream
from mlmom_lab.monitor_check import run_check
from mlmom_lab.project import load_project
from mlmom_lab.retraining import state
from mlmom_lab.serving import deployment

from ..helpers import own_copy, start_server

POLICY = {
    "on": ["drift"],
    "target_column": "churned",
    "recent_param": "prepare.recent",
    "params": {
        "register.auto_champion": False,
        "prepare.n_rows": 400,
        "train.n_iter": 2,
        "train.candidates": "xgboost",
    },
    "recent_rows": 2000,
    "holdout": 0.3,
    "metric": "accuracy",
    "margin": 0.0,
    "canary_weight": 0.5,
    "min_samples": 150,
}


@pytest.fixture(scope="module")
def project(example_run, tmp_path_factory):
    source, _ = example_run
    root = tmp_path_factory.mktemp("loop") / "churn"
    own_copy(source, root)
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["monitoring"] = {
        "window": 1000,
        "retrain": POLICY,
        "alerts": [
            {
                "name": "drift",
                "kind": "feature_drift",
                "feature": "monthly_charges",
                "min_samples": 200,
            }
        ],
    }
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_project(root)


def send(port: int, frame, prefix: str) -> None:
    """Serve the rows in keyed requests, then send every label late, in one batch."""
    assert stream(port, frame, prefix) == len(frame)


def customers(project, n: int, seed: int):
    return drifting(project, n, seed=seed, shift=1.0)  # the population and churn both moved


@pytest.fixture(scope="module")
def retrained(project):
    """The loop once round, alert -> retrain -> canary -> promote, and what it left; run
    once for the tests that need a second version (they run in any order)."""
    champion = deployment.current(project).champion
    proc, port = start_server(project.root)
    try:
        send(port, customers(project, 1600, seed=501), "before")
        first = run_check(project)
        canary = deployment.current(project).canary
        challenger_alias = registry.get_version(project.spec.model, "challenger", project).version
        send(port, customers(project, 1200, seed=502), "during")
        second = run_check(project)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    return {
        "champion": champion, "first": first, "second": second, "canary": canary,
        "challenger_alias": challenger_alias,
        "champion_after": deployment.current(project).champion,
        "registry_champion": registry.get_version(project.spec.model, "champion", project).version,
        "reasons": [e.reason for e in registry.history(project.spec.model, project=project)],
        "states": [s["state"] for s in state(project)["history"]],
        "outputs": {v: answers_in(project, v) for v in (champion, canary)},
    }  # fmt: skip


def answers_in(project, version):
    """The types and classes a version answers in, as stored at its registration."""
    from mlmom_lab.registry.versions import client_for

    found = client_for(project).get_model_version(project.spec.model, version)
    return json.loads(found.tags["mlmom.outputs"])


@pytest.mark.http
def test_alert_retrain_canary_promote(retrained):
    first, second = retrained["first"], retrained["second"]
    assert [a.rule for a in first.alerts] == ["drift"]
    assert first.loop["state"] == "canary", first.loop["history"][-1]
    challenger = first.loop["canary"]
    assert challenger != retrained["champion"]
    assert retrained["challenger_alias"] == challenger == retrained["canary"]
    assert " live on 1 of 1 worker in " in first.loop["history"][-1]["message"]
    assert second.loop["state"] == "idle"
    last = second.loop["history"][-1]["message"]
    assert last.startswith("promoted:"), last
    assert retrained["champion_after"] == retrained["registry_champion"] == challenger
    assert any("retraining loop" in r for r in retrained["reasons"])
    assert retrained["states"] == ["canary", "idle"]
    # the retrained model answers in the champion's types
    labels = {v: (out["values"], out["classes"]) for v, out in retrained["outputs"].items()}
    assert labels[challenger] == labels[retrained["champion"]] == ("<i8", [0, 1]), labels


def test_labels_with_gaps_retrain_in_the_type_the_champion_answers_in():
    """A log's label column with gaps reads as floats; retrained on 0.0 and 1.0, a forest
    would answer floats from then on (the API's output type changed by a retraining)."""
    from mlmom_lab.monitoring.reference import PREDICTION, TARGET
    from mlmom_lab.retraining import _as_answered

    window = pd.DataFrame({PREDICTION: [0, 1, 1, 0], TARGET: [0, None, 1, 1]})
    labelled = window[window[TARGET].notna()]
    assert labelled[TARGET].dtype == "float64"
    assert _as_answered(labelled)[TARGET].tolist() == [0, 1, 1]
    assert _as_answered(labelled)[TARGET].dtype == "int64"
    values = pd.DataFrame({PREDICTION: [0.5, 2.0], TARGET: [1.0, 2.0]})  # a regressor's
    assert _as_answered(values)[TARGET].dtype == "float64"
    strings = pd.DataFrame({PREDICTION: ["no", "yes"], TARGET: ["yes", "yes"]})
    assert _as_answered(strings)[TARGET].tolist() == ["yes", "yes"]


def test_the_loop_says_when_its_challenger_did_not_pass_the_gate(tmp_path):
    """The loop's comparisons on recent rows decide; a challenger the quality gate failed
    (on the pipeline's evaluation rows) goes on, and the loop's step says so."""
    from sklearn.linear_model import LogisticRegression

    from mlmom_lab.gate import GATE_TAG
    from mlmom_lab.registry.versions import client_for
    from mlmom_lab.retraining import _gate_said

    from ..helpers import notebook, spec

    notebook(tmp_path / "noop.ipynb", "", "pass")
    spec(tmp_path, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(tmp_path)
    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3})
    model = LogisticRegression().fit(X, X.a > 20)
    version = registration.register_model(model, X.head(5), project=project).version
    assert _gate_said(project, version) == ""  # never judged
    verdict = {"status": "failed", "against": "1"}
    client_for(project).set_model_version_tag("toy-model", version, GATE_TAG, json.dumps(verdict))
    said = _gate_said(project, version)
    assert said == " (its quality gate failed against v1; the recent rows decide)"
    verdict = {"status": "passed", "against": "1"}
    client_for(project).set_model_version_tag("toy-model", version, GATE_TAG, json.dumps(verdict))
    assert _gate_said(project, version) == ""


@pytest.mark.http
def test_a_canary_that_does_not_win_by_the_margin_is_rolled_back(project, retrained):
    """The old champion goes out as a canary against the retrained one, under a policy that
    asks for a win by 0.5 accuracy: it is rolled back, and the champion stays."""
    from mlmom_lab.monitoring.loop_state import save

    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"]["retrain"]["margin"] = 0.5
    (project.root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(project.root)
    champion = deployment.current(project).champion
    old = "1" if champion != "1" else "2"
    release.canary(project, old, 0.5, reason="test: an old version as canary")
    save(
        project,
        {
            **state(project),
            "state": "canary",
            "canary": old,
            "champion": champion,
            "since": time.time(),
        },
    )
    proc, port = start_server(project.root)
    try:
        send(port, customers(project, 800, seed=503), "rollback")
        result = run_check(project)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    message = result.loop["history"][-1]["message"]
    assert message.startswith("rolled back:") and "(margin 0.5)" in message
    current = deployment.current(project)
    assert current.champion == champion and current.canary is None
    assert registry.get_version(project.spec.model, "champion", project).version == champion


@pytest.fixture(scope="module")
def sgd_project(example_run, tmp_path_factory):
    """A copy of the example whose champion is an SGD classifier (it has partial_fit),
    registered by hand, under the incremental strategy."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    source, _ = example_run
    root = tmp_path_factory.mktemp("incremental") / "churn"
    own_copy(source, root)
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["monitoring"] = {
        "window": 1000,
        "retrain": {
            "on": ["drift"],
            "strategy": "incremental",
            "holdout": 0.3,
            "metric": "roc_auc",
            "canary_weight": 0.5,
            "min_samples": 150,
        },
        "alerts": [
            {
                "name": "drift",
                "kind": "feature_drift",
                "feature": "monthly_charges",
                "min_samples": 200,
            }
        ],
    }
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(root)
    sys.path.insert(0, str(root))
    from churn_data import FEATURES, TARGET

    train = pd.read_parquet(root / "data" / "train.parquet")
    test = pd.read_parquet(root / "data" / "test.parquet")
    numeric = [c for c in FEATURES if train[c].dtype.kind in "if"]
    model = Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer(
                    [
                        (
                            "numeric",
                            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                            numeric,
                        ),
                        (
                            "categorical",
                            OneHotEncoder(handle_unknown="ignore"),
                            [c for c in FEATURES if c not in numeric],
                        ),
                    ]
                ),
            ),
            ("model", SGDClassifier(loss="log_loss", random_state=0)),
        ]
    ).fit(train[FEATURES], train[TARGET])
    version = registration.register_model(
        model,
        test[FEATURES].head(5),
        held_out=test[FEATURES],
        held_out_target=test[TARGET],
        reference=train[FEATURES],
        reference_target=train[TARGET],
        project=project,
        metrics={"accuracy": model.score(test[FEATURES], test[TARGET])},
    )
    release.assign(version.version, project=project, reason="test: an SGD champion")
    assert deployment.current(project).champion == version.version
    return project


@pytest.mark.http
def test_incremental_update_canary_and_decision(sgd_project):
    project = sgd_project
    champion = deployment.current(project).champion
    proc, port = start_server(project.root)
    try:
        send(port, customers(project, 1600, seed=601), "inc-before")
        first = run_check(project)
        assert first.loop["state"] == "canary", first.loop["history"][-1]
        challenger = first.loop["canary"]
        assert (
            "updated (5 partial_fit passes) on 1120 recent rows"
            in first.loop["history"][-1]["message"]
        )
        info = registry.get_version(project.spec.model, challenger, project)
        assert info.description.startswith(f"incremental update of version {champion}")
        send(port, customers(project, 1200, seed=602), "inc-during")
        second = run_check(project)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    for step in second.loop["history"]:
        print(step["message"])
    assert second.loop["history"][-1]["message"].startswith("promoted:")
    assert deployment.current(project).champion == challenger


@pytest.fixture
def scheduled(example_run, tmp_path):
    """A copy of the example under ``every: 1d`` with no alert, whose log holds 300 labelled
    answers of its champion (logged through the serving's log writer: no server needed)."""
    from mlmom_lab.predictions.feedback import add_feedback

    from ..helpers import log_predictions

    source, _ = example_run
    root = tmp_path / "churn"
    own_copy(source, root, also_skip=("loop.json",))
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["monitoring"] = {
        "window": 1000,
        "alerts": [],
        "retrain": {**POLICY, "on": [], "every": "1d", "margin": 0.0},
    }
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(root)
    frame = customers(project, 300, seed=701)
    batches = [frame.iloc[i : i + 20] for i in range(0, len(frame), 20)]
    ids = log_predictions(project, [b.drop(columns="churned") for b in batches], "scheduled")
    add_feedback(
        project.prediction_log_uri,
        [
            {"request_id": request_id, "row": r, "label": int(label)}
            for request_id, batch in zip(ids, batches)
            for r, label in enumerate(batch["churned"])
        ],
    )
    return project


def test_a_schedule_retrains_without_an_alert(scheduled):
    """With ``every: 1d`` and no alert, the first check starts the clock, nothing happens
    within a day, and a check a day later retrains on the recent rows."""
    now = time.time()
    assert run_check(scheduled, now=now).loop["history"] == []  # the clock starts
    assert state(scheduled)["started_at"] == now
    assert run_check(scheduled, now=now + 3600).loop["history"] == []  # not due yet
    later = run_check(scheduled, now=now + 86400 + 1).loop
    assert later["history"][-1]["message"].startswith("schedule (every 1d): retrained on 210 ")


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_boosted_trees_learn_incrementally_by_more_rounds(tmp_path, library):
    """The incremental strategy on an XGBoost or LightGBM champion (bare or in a pipeline):
    more boosting rounds on top of its trees, registered as the challenger."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlmom_lab import registration, registry
    from mlmom_lab.monitoring.reference import TARGET
    from mlmom_lab.project import load_project
    from mlmom_lab.retraining import _incremental

    from ..helpers import notebook, spec

    boosting = pytest.importorskip(library)
    made = (
        boosting.XGBClassifier(n_estimators=10)
        if library == "xgboost"
        else boosting.LGBMClassifier(n_estimators=10, verbose=-1)
    )
    notebook(tmp_path / "noop.ipynb", "", "pass")
    spec(tmp_path, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(tmp_path)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X.a + 0.3 * X.b > 0).astype(int)
    model = make_pipeline(StandardScaler(), made).fit(X.head(200), y.head(200))
    first = registration.register_model(model, X.head(5), held_out=X.tail(100), project=project)
    rows = X.iloc[200:300].assign(**{TARGET: y.iloc[200:300]})
    holdout = X.iloc[300:].assign(**{TARGET: y.iloc[300:]})
    challenger, how = _incremental(project, first.version, rows, holdout, epochs=3)
    assert how == f"10 more {'XGBoost' if library == 'xgboost' else 'LightGBM'} rounds"
    updated = registry.get_version(None, challenger, project)
    # onnxmltools converts n_estimators trees: a continued booster's twin keeps them all
    assert "challenger" in updated.aliases and updated.onnx["status"] == "ok"
    from mlmom_lab.registry.kinds import load

    learner = load(updated.source).steps[-1][1]
    rounds = (
        learner.get_booster().num_boosted_rounds()
        if library == "xgboost"
        else learner.booster_.current_iteration()
    )
    assert rounds == 20
