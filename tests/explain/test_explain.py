"""Explanations of the example's champion and of small models of every explainer kind:
global importance stored at registration, local SHAP and LIME of logged requests (SHAP's
values plus its base reproduce the model's output), explanation drift, the CLI."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from mlmom_lab.errors import InvalidInput, NotFound
from mlmom_lab.explain import (
    LimeExplainer,
    ShapExplainer,
    explain_request,
    explanation_drift,
    global_importance,
    view,
)
from mlmom_lab.explain.artifacts import _ranking_settled, _settled_values, compute, start
from mlmom_lab.explain.drift import _settled_magnitudes, _verdicts_settled
from mlmom_lab.explain.interpreted import interpreted_masking
from mlmom_lab.monitoring.windows import load_window
from mlmom_lab.project import load_project
from mlmom_lab.registry import get_version

from ..helpers import log_predictions, mlmom, own_copy

FEATURES = [
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "contract",
    "internet_service",
    "payment_method",
    "support_calls",
    "age",
]


@pytest.fixture(scope="module")
def served(example_run, tmp_path_factory):
    """A copy of the example with 60 logged requests of 5 held-out rows: the first 30 as they
    are, the last 30 with every tenure pinned to 24 months (the model can no longer tell
    customers apart by tenure), each answered with the champion's real probabilities."""
    import mlflow.sklearn

    project = own_copy(example_run[0], tmp_path_factory.mktemp("explain") / "churn")
    root = project.root
    test = pd.read_parquet(root / "data" / "test.parquet")[FEATURES]
    batches = [test.iloc[5 * i : 5 * i + 5].copy() for i in range(60)]
    for rows in batches[30:]:
        rows["tenure_months"] = 24
    log_predictions(project, batches, "x")
    champion = get_version(None, "champion", project)
    model = mlflow.sklearn.load_model(champion.source)  # log_predictions pointed MLflow here
    return project, champion, model, test


def test_registration_stores_global_importance_with_the_version(served):
    project, champion, _, _ = served
    assert champion.explain["status"] == "ok" and champion.explain["kind"] == "tree"
    importance = global_importance(project, champion.version)
    assert importance.kind == "tree" and importance.output_name == "probability of 1"
    assert sorted(f.name for f in importance.features) == sorted(FEATURES)
    ranked = importance.ranked()
    assert ranked[0].mean_abs >= ranked[-1].mean_abs and ranked[0].mean_abs > 0.01
    assert champion.explain["top"].split(",") == [f.name for f in ranked[:3]]
    assert 0 < importance.base < 1 and importance.rows in (100, 200, 300)


def test_importance_stops_early_only_when_the_top_features_stand_apart():
    rng = np.random.default_rng(0)
    clear = rng.normal(0, 0.01, (100, 5)) + np.array([0.5, 0.3, 0.2, 0.1, 0.0])
    assert _ranking_settled(clear)
    tied = clear.copy()
    tied[:, 2] = tied[:, 3] + rng.normal(0, 0.01, 100)  # third and fourth: the same size
    assert not _ranking_settled(tied)
    assert not _ranking_settled(clear[:1])  # one row tells nothing about spread


def test_importance_is_computed_on_more_rows_while_the_ranking_is_unsettled():
    class Explainer:  # values whose third and fourth features never stand apart
        def values(self, rows):
            noise = np.random.default_rng(len(rows)).normal(0, 0.05, (len(rows), 4))
            return noise + np.array([0.5, 0.3, 0.1, 0.1]), np.zeros(len(rows))

    rows = pd.DataFrame({"x": range(300)})
    values, base = _settled_values(Explainer(), rows)
    assert values.shape == (300, 4) and base.shape == (300,)


def test_an_explanation_drift_verdict_is_settled_only_away_from_the_tolerances_edges():
    rng = np.random.default_rng(3)
    even = np.abs(rng.normal(1, 0.1, (100, 2)))  # two features, half of the total each
    assert _verdicts_settled(even, np.array([0.5, 0.5]))  # clearly not shifted
    assert _verdicts_settled(even, np.array([0.3, 0.7]))  # clearly shifted
    assert not _verdicts_settled(even, np.array([0.45, 0.55]))  # on the edge: 5 points
    assert not _verdicts_settled(even[:1], np.array([0.5, 0.5]))  # one row tells no spread


def test_explanation_drift_explains_more_rows_while_a_verdict_is_unsettled():
    class Explainer:  # a first feature whose share is 0.55 to the last digit: on the edge
        def values(self, rows):
            half = np.random.default_rng(len(rows)).normal(0, 0.05, len(rows) // 2)
            noise = np.concatenate([half, -half])
            return np.c_[0.55 + noise, 0.45 - noise], np.zeros(len(rows))

    rows = pd.DataFrame({"x": range(300)})
    assert len(_settled_magnitudes(Explainer(), rows, np.array([0.5, 0.5]), 100)) == 300
    assert len(_settled_magnitudes(Explainer(), rows, np.array([0.8, 0.2]), 100)) == 100
    assert len(_settled_magnitudes(Explainer(), rows, np.array([0.8, 0.2]), 20)) == 20


def test_shap_of_a_logged_request_reproduces_the_models_output(served):
    project, champion, model, test = served
    result = explain_request(project, "x-3", row=2)
    shap, lime = result.explanations["shap"], result.explanations["lime"]
    row = test.iloc[[17]]
    expected = model.predict_proba(row)[0, 1]
    assert result.version == champion.version and result.inputs["age"] == pytest.approx(
        row["age"].iloc[0]
    )
    assert shap.output == pytest.approx(expected, abs=1e-12)
    assert shap.total == pytest.approx(expected, abs=1e-9)  # base + SHAP values = output
    assert result.logged_score == pytest.approx(expected, abs=1e-9)
    assert set(shap.contributions) == set(FEATURES) == set(lime.contributions)
    assert lime.output == pytest.approx(expected) and 0 <= lime.fit <= 1
    assert set(lime.conditions) == set(FEATURES)
    # the two methods broadly agree on what mattered most for this customer
    top_shap = {name for name, _ in shap.ranked()[:3]}
    assert top_shap & {name for name, _ in lime.ranked()[:3]}


def test_bad_requests_are_named(served):
    project, _, _, _ = served
    with pytest.raises(NotFound, match="no request 'nope'"):
        explain_request(project, "nope")
    with pytest.raises(InvalidInput, match="rows 0 to 4"):
        explain_request(project, "x-1", row=5)
    with pytest.raises(InvalidInput, match="unknown"):
        explain_request(project, "x-1", methods=("anchors",))


def test_explanation_drift_sees_the_model_stop_listening_to_tenure(served):
    project, champion, _, _ = served
    calm = load_window(project, version=champion.version, last=150)
    drift = explanation_drift(project, calm)
    reference = global_importance(project, champion.version).mean_abs()
    # the shift is clear on the newest 100 rows: the other 50 are not explained
    assert drift.rows == 100 and drift["tenure_months"].reference == reference["tenure_months"]
    assert sum(f.current_share for f in drift.features) == pytest.approx(1)
    assert drift["tenure_months"].current < 0.2 * drift["tenure_months"].reference
    assert "tenure_months" in drift.shifted
    as_json = json.loads(json.dumps(drift.as_dict()))
    assert as_json["shifted"] == drift.shifted and len(as_json["features"]) == len(FEATURES)


def _synthetic(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.uniform(0, 60, n).round(1),
            "charges": rng.normal(70, 20, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
        }
    )
    X.loc[rng.random(n) < 0.1, "tenure"] = np.nan
    logit = (
        1.0
        - 0.06 * X["tenure"].fillna(30)
        + 0.02 * (X["charges"] - 70)
        + X["plan"].map({"basic": 0.8, "plus": 0.0, "pro": -0.8})
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def _pipeline(estimator):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = Pipeline([("fill", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    features = ColumnTransformer(
        [
            ("numeric", numeric, ["tenure", "charges"]),
            ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    return Pipeline([("features", features), ("model", estimator)])


@pytest.mark.parametrize(
    "estimator, kind, output",
    [
        ("forest", "tree", "probability of 1"),
        ("boosting", "tree", "log-odds of 1"),
        ("logistic", "linear", "log-odds of 1"),
        ("neighbours", "permutation", "probability of 1"),
    ],
)
def test_every_kind_of_explainer_is_additive(estimator, kind, output):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    made = {
        "forest": lambda: RandomForestClassifier(n_estimators=20, random_state=0),
        "boosting": lambda: GradientBoostingClassifier(n_estimators=30, random_state=0),
        "logistic": lambda: LogisticRegression(),
        "neighbours": lambda: KNeighborsClassifier(15),
    }[estimator]()
    X, y = _synthetic()
    model = _pipeline(made).fit(X, y)
    seen = view(model, X)
    assert seen.kind == kind and seen.output_name == output
    rows = X.iloc[:4]
    explanations = ShapExplainer(seen, X.iloc[100:200]).explain(rows)
    outputs = seen.outputs(rows)[:, -1]  # a binary model: the positive class's output
    for explanation, expected in zip(explanations, outputs):
        assert explanation.algorithm == kind
        assert explanation.total == pytest.approx(expected, abs=1e-6)
        assert set(explanation.contributions) == {"tenure", "charges", "plan"}
    lime = LimeExplainer(seen, X.iloc[100:200], samples=500).explain(rows.iloc[:1])[0]
    assert lime.output == pytest.approx(outputs[0])


@pytest.mark.parametrize("estimator", ["forest", "boosting"])
def test_treeshap_of_a_scikit_learn_ensemble_runs_in_a_child_with_the_same_answer(
    estimator, monkeypatch
):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    made = {
        "forest": lambda: RandomForestClassifier(n_estimators=20, random_state=0),
        "boosting": lambda: GradientBoostingClassifier(n_estimators=30, random_state=0),
    }[estimator]()
    X, y = _synthetic()
    model = _pipeline(made).fit(X, y)
    with start(model, X) as computing:
        forked, _ = computing.result()
        assert computing.values.forked
    monkeypatch.setenv("MLMOM_FORK", "0")
    here, _ = compute(model, X)
    assert forked.features == here.features and (forked.base, forked.rows) == (here.base, here.rows)


def test_shap_that_runs_the_models_own_code_stays_in_this_process():
    """A booster's TreeSHAP runs in its library's threads, a linear model's SHAP is quick:
    neither is forked."""
    from sklearn.linear_model import LogisticRegression

    X, y = _synthetic()
    xgboost = pytest.importorskip("xgboost").XGBClassifier(n_estimators=10)
    for made in (xgboost, LogisticRegression()):
        model = _pipeline(made).fit(X, y)
        assert not view(model, X).shap_is_arithmetic
        with start(model, X) as computing:
            assert computing.result()[0].rows > 0 and not computing.values.forked


def test_a_model_it_cannot_open_up_is_explained_by_permutation():
    """A preprocessing that mixes columns (PCA) has no per-feature columns to sum."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.pipeline import make_pipeline

    X, _ = _synthetic()
    numeric = X[["tenure", "charges"]].fillna(30)
    model = make_pipeline(PCA(2), RandomForestRegressor(n_estimators=10, random_state=0))
    model.fit(numeric, numeric["charges"] * 2)
    seen = view(model, numeric)
    assert seen.kind == "permutation" and seen.output_name == "prediction"
    explanation = ShapExplainer(seen, numeric.iloc[:30]).explain(numeric.iloc[:2])[0]
    assert explanation.total == pytest.approx(seen.outputs(numeric.iloc[:1])[0, 0], abs=1e-6)
    assert explanation.target is None
    kernels = [k for m in _shap_kernel_modules() for k in vars(m).values() if _compiled(k)]
    assert kernels and not any(k.signatures for k in kernels)  # numba compiled none of them


def test_shaps_kernels_are_interpreted_only_inside_the_block():
    (tabular, _) = _shap_kernel_modules()
    with interpreted_masking():
        with interpreted_masking():  # a second caller, in another thread say
            assert not _compiled(tabular._delta_masking)
        assert not _compiled(tabular._delta_masking)  # the first caller is still inside
    assert _compiled(tabular._delta_masking)


def _shap_kernel_modules():
    from shap.maskers import _tabular
    from shap.utils import _masked_model

    return _tabular, _masked_model


def _compiled(kernel) -> bool:
    from numba.core.dispatcher import Dispatcher

    return isinstance(kernel, Dispatcher)


def _three_plans(n=600, seed=3):
    X, _ = _synthetic(n, seed)
    y = np.array(["basic", "plus", "pro"])[np.digitize(X["charges"].fillna(60), [50, 80])]
    return X, y


@pytest.mark.parametrize(
    "estimator, kind, scale",
    [
        ("forest", "tree", "probability"),
        ("histgb", "tree", "margin"),
        ("xgboost", "tree", "margin"),
        ("lightgbm", "tree", "margin"),
        ("neighbours", "permutation", "probability"),
    ],
)
def test_a_multiclass_model_is_explained_per_class(estimator, kind, scale):
    """The predicted class by default, any class on request; additive either way, with
    XGBoost and LightGBM read by SHAP's TreeExplainer inside a pipeline."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier

    from mlmom_lab.errors import InvalidInput

    made = {
        "forest": lambda: RandomForestClassifier(n_estimators=20, random_state=0),
        "histgb": lambda: HistGradientBoostingClassifier(max_iter=20),
        "xgboost": lambda: pytest.importorskip("xgboost").XGBClassifier(n_estimators=20),
        "lightgbm": lambda: pytest.importorskip("lightgbm").LGBMClassifier(
            n_estimators=20, verbose=-1
        ),
        "neighbours": lambda: KNeighborsClassifier(15),
    }[estimator]()
    X, plans = _three_plans()
    labels = np.unique(plans)
    y = plans if estimator != "xgboost" else np.searchsorted(labels, plans)  # XGBoost: 0..k-1
    model = _pipeline(made).fit(X, y)
    seen = view(model, X)
    assert seen.kind == kind and seen.output_name == f"{scale} of the predicted class"
    rows = X.iloc[:6]
    outputs, predicted = seen.outputs(rows), model.predict(rows)
    explainer = ShapExplainer(seen, X.iloc[100:200])
    for i, explanation in enumerate(explainer.explain(rows)):
        assert explanation.target == predicted[i]
        column = list(seen.classes).index(predicted[i])
        assert explanation.output_name == f"{scale} of {seen.classes[column]!r}"
        assert explanation.total == pytest.approx(outputs[i, column], abs=1e-5)
    chosen = seen.classes[0]
    for i, explanation in enumerate(explainer.explain(rows, target=str(chosen))):
        assert explanation.target == chosen
        assert explanation.total == pytest.approx(outputs[i, 0], abs=1e-5)
    lime = LimeExplainer(seen, X.iloc[100:200], samples=300).explain(rows.iloc[:1], chosen)[0]
    assert lime.target == chosen and lime.output == pytest.approx(outputs[0, 0])
    with pytest.raises(InvalidInput, match="class 'gold' is not one of the model's classes"):
        explainer.explain(rows, target="gold")


def test_personal_data_in_the_log_cannot_be_explained(served, tmp_path):
    project, _, _, _ = served
    spec = (project.root / "mlmom.yaml").read_text()
    shutil.copytree(project.root, tmp_path / "p", ignore=shutil.ignore_patterns("mlruns"))
    (tmp_path / "p" / "mlmom.yaml").write_text(
        spec + "\nserving:\n  log:\n    personal_data: {age: drop}\n"
    )
    with pytest.raises(InvalidInput, match="age are personal data"):
        explain_request(load_project(tmp_path / "p"), "x-1")


def test_the_cli_explains_a_version_and_a_request(served):
    project, champion, _, _ = served
    run = {"cwd": project.root}
    shown = mlmom("explain", **run, check=True).stdout
    assert "global importance by SHAP (tree explainer" in shown
    assert shown.splitlines()[1].split()[0] == champion.explain["top"].split(",")[0]
    request = mlmom("explain", "--request-id", "x-3", "--row", "2", **run, check=True).stdout
    assert "request x-3 row 2" in request and "LIME's bin" in request
    as_json = json.loads(
        mlmom("explain", "--request-id", "x-3", "--json", **run, check=True).stdout
    )
    shap = as_json["explanations"]["shap"]
    assert shap["total"] == pytest.approx(shap["output"], abs=1e-9)
    bad = mlmom("explain", "--request-id", "missing", **run)
    assert (
        bad.returncode == 1
        and bad.stderr.strip() == "error: no request 'missing' in the prediction log"
    )
    old = mlmom("explain", "9", **run)
    assert old.returncode == 1 and "9" in old.stderr and len(old.stderr.strip().splitlines()) == 1


def test_monitor_check_shows_the_explanation_drift_beside_the_data_drift(served):
    project, _, _, _ = served
    shown = mlmom("monitor", "check", "--last", "150", cwd=project.root, check=True).stdout
    assert "mean |SHAP| train -> window" in shown
    tenure = next(line for line in shown.splitlines() if line.strip().startswith("tenure_months"))
    assert tenure.rstrip().endswith("SHIFT")  # pinned to 24 months: the model stopped using it
    assert "explanation drift on the last 100 rows (probability of 1): shifted: " in shown
    quiet = mlmom(
        "monitor", "check", "--last", "150", "--no-explain", cwd=project.root, check=True
    ).stdout
    assert "SHAP" not in quiet
