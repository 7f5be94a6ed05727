"""What the model would refuse, the server refuses with a 4xx naming the column and row; what
the model takes, the server answers exactly as the model does. A real server on 127.0.0.1
serves two versions: a logistic regression that takes no missing value (the champion) and a
histogram gradient boosting that takes them in every column (a shadow, asked for by number).
"""

import http.client
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmom_lab import registration, registry, release
from mlmom_lab.project import load_project

from ..helpers import notebook, spec, start_server

pytestmark = pytest.mark.http  # every test here talks to a real server on 127.0.0.1

COLUMNS = ("spend", "visits", "tenure")


def customers(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "spend": rng.normal(50, 10, n),
            "visits": rng.normal(4, 2, n),
            "tenure": rng.normal(12, 4, n),
        }
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("refusals")
    notebook(root / "noop.ipynb", "", "pass")
    spec(root, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(root)
    X = customers()
    y = (X.spend + 3 * X.visits > 62).astype(int)
    strict = registration.register_model(
        LogisticRegression().fit(X, y), X.head(5), held_out=X, project=project
    )
    gaps = X.copy()
    gaps.loc[::7, "spend"] = np.nan
    lenient = registration.register_model(
        HistGradientBoostingClassifier(max_iter=20).fit(gaps, y),
        gaps.head(5),
        held_out=gaps,
        project=project,
    )
    registry.promote(strict.version, project=project, reason="test: the strict one serves")
    release.shadow(project, lenient.version, reason="test: the lenient one, pinned")
    proc, port = start_server(root)
    yield {
        "port": port,
        "strict": strict,
        "lenient": lenient,
        "project": project,
        "models": (
            LogisticRegression().fit(X, y),
            HistGradientBoostingClassifier(max_iter=20).fit(gaps, y),
        ),
    }
    proc.terminate()
    proc.wait(timeout=120)


def call(port, method, path, body=None, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    conn.request(method, path, payload, {"content-type": "application/json"})
    response = conn.getresponse()
    text = response.read()
    return response.status, (json.loads(text) if text else None)


def v2(rows, version):
    return (
        f"/v2/models/toy-model/versions/{version}/infer",
        {
            "inputs": [
                {"name": c, "shape": [len(rows)], "datatype": "FP64", "data": [r[c] for r in rows]}
                for c in COLUMNS
            ]
        },
    )


def rows_with(value, column="spend", n=1, at=0):
    rows = customers(n, seed=3).to_dict(orient="records")
    rows[at][column] = value
    return rows


def test_the_signature_records_which_columns_take_gaps(served):
    assert served["strict"].refuses_gaps == list(COLUMNS)
    assert served["lenient"].refuses_gaps == []
    status, meta = call(
        served["port"], "GET", f"/v2/models/toy-model/versions/{served['strict'].version}"
    )
    assert status == 200 and [i["parameters"]["nullable"] for i in meta["inputs"]] == [False] * 3


@pytest.mark.parametrize("n", [1, 64])
def test_a_gap_the_model_refuses_is_a_400_naming_column_and_row(served, n):
    rows = rows_with(None, "visits", n=n, at=n - 1)
    status, answer = call(served["port"], "POST", "/invocations", {"dataframe_records": rows})
    assert status == 400, answer
    assert answer["error"] == (
        f"column 'visits' takes no missing values (null at row {n - 1}): the model refuses them"
    )
    path, body = v2(rows_with(float("nan"), n=n), served["strict"].version)
    status, answer = call(served["port"], "POST", path, raw=json.dumps(body))  # NaN in JSON
    assert (
        status == 400 and "column 'spend' takes no missing values (NaN at row 0)" in answer["error"]
    )


@pytest.mark.parametrize("n", [1, 2, 64])
def test_a_gap_the_model_takes_is_answered_as_the_model_answers(served, n):
    rows = rows_with(None, "spend", n=n)
    path, body = v2(rows, served["lenient"].version)
    status, answer = call(served["port"], "POST", path, body)
    assert status == 200, answer
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(float)
    model = served["models"][1]
    assert answer["outputs"][0]["data"] == model.predict(frame).tolist()
    np.testing.assert_allclose(
        np.reshape(answer["outputs"][1]["data"], (n, 2)), model.predict_proba(frame), atol=1e-4
    )


@pytest.mark.parametrize("value, said", [("Infinity", "Infinity"), ("-Infinity", "-Infinity")])
def test_infinity_is_refused_in_both_protocols(served, value, said):
    records = rows_with(0.0)
    text = json.dumps({"dataframe_records": records}).replace("0.0", value, 1)
    status, answer = call(served["port"], "POST", "/invocations", raw=text)
    assert (
        status == 400
        and answer["error"] == f"column 'spend' expects a finite number, got {said} at row 0"
    )
    path, body = v2(records, served["lenient"].version)
    status, answer = call(
        served["port"], "POST", path, raw=json.dumps(body).replace("0.0", value, 1)
    )
    assert status == 400 and "expects a finite number" in answer["error"]


def test_a_huge_number_gets_the_model_own_answer_or_its_refusal(served):
    """1e308 fits a double but not the float32 twin: the model itself decides."""
    rows = rows_with(1e308)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for version, model in zip(
        (served["strict"].version, served["lenient"].version), served["models"]
    ):
        path, body = v2(rows, version)
        status, answer = call(served["port"], "POST", path, body)
        try:
            expected = model.predict(frame).tolist()
        except ValueError:
            assert status == 400 and answer["error"].startswith("the model refuses this input")
            continue
        assert status == 200 and answer["outputs"][0]["data"] == expected


def test_malformed_payloads_are_4xx_never_5xx(served):
    port = served["port"]
    deep = "[" * 5000 + "]" * 5000
    status, answer = call(port, "POST", "/invocations", raw=deep)
    assert status == 400 and "nested deeper" in answer["error"]
    nested = {"inputs": [{"name": "spend", "shape": [1], "datatype": "FP64", "data": [[[[1.0]]]]}]}
    status, answer = call(port, "POST", "/v2/models/toy-model/infer", nested)
    assert status == 400 and "nested deeper than its shape" in answer["error"]
    twice = {"dataframe_split": {"columns": ["spend", "spend", "tenure"], "data": [[1, 2, 3]]}}
    status, answer = call(port, "POST", "/invocations", twice)
    assert (
        status == 400 and answer["error"] == "'dataframe_split.columns' names column 'spend' twice"
    )
    huge = {"dataframe_split": {"columns": list(COLUMNS), "data": [[1.0, 10**400, 3.0]]}}
    status, answer = call(port, "POST", "/invocations", huge)  # an integer beyond any float
    assert status == 400 and answer["error"].startswith(
        "column 'visits' (double, FP64) cannot hold 1000000000"
    ), answer
    for method, path in (
        ("TRACE", "/ping"),
        ("PUT", "/v2/health/ready"),
        ("DELETE", "/metrics"),
        ("TRACE", "/v2/models/toy-model"),
    ):
        status, answer = call(port, method, path)
        assert status == 405, (method, path, status)


# -- a property: any batch, valid or not, through either protocol, to either model ----------
GOOD = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
BAD_ALWAYS = st.sampled_from([float("inf"), float("-inf"), "12", True, [1.0]])
GAP = st.sampled_from([None, float("nan")])
VALUE = st.one_of(GOOD, GOOD, GOOD, GAP, BAD_ALWAYS)


def invalid(value, takes_gaps: bool) -> bool:
    """What the model itself could not be asked: not a finite number, or a gap it refuses."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return not takes_gaps
    return not isinstance(value, float) or math.isinf(value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(st.fixed_dictionaries({c: VALUE for c in COLUMNS}), min_size=1, max_size=6),
    lenient=st.booleans(),
    protocol=st.sampled_from(["v2", "mlflow"]),
)
def test_any_batch_is_answered_as_the_model_answers_or_refused_naming_a_bad_cell(
    served, batch, lenient, protocol
):
    info, model = (
        (served["lenient"], served["models"][1])
        if lenient
        else (served["strict"], served["models"][0])
    )
    if protocol == "v2":
        path, body = v2(batch, info.version)
    else:  # MLflow's protocol reaches the champion, the strict one
        info, model, lenient = served["strict"], served["models"][0], False
        path, body = (
            "/invocations",
            {
                "dataframe_split": {
                    "columns": list(COLUMNS),
                    "data": [[row[c] for c in COLUMNS] for row in batch],
                }
            },
        )
    status, answer = call(served["port"], "POST", path, raw=json.dumps(body))
    bad = {(c, i) for i, row in enumerate(batch) for c in COLUMNS if invalid(row[c], lenient)}
    if bad:
        assert status == 400, (batch, answer)
        named = re.search(r"(?:column|input) '(\w+)'.* at row (\d+)", answer["error"])
        assert named and (named[1], int(named[2])) in bad, (answer["error"], bad)
        return
    assert status == 200, (batch, answer)
    frame = pd.DataFrame(batch, columns=COLUMNS).astype(float)
    labels = answer["outputs"][0]["data"] if protocol == "v2" else answer["predictions"]
    assert labels == model.predict(frame).tolist()
