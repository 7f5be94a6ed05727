"""The serving app behind a real `mlmom serve` (uvicorn, 2 workers) on 127.0.0.1."""

import json
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

from ..helpers import own_copy, start_server

pytestmark = pytest.mark.http  # every test here talks to a real server on 127.0.0.1


@pytest.fixture(scope="module")
def server(example_run, tmp_path_factory):
    project = own_copy(example_run[0], tmp_path_factory.mktemp("app") / "churn")
    proc, port = start_server(project.root, "--workers", "2", "--max-body", "20000")
    yield f"http://127.0.0.1:{port}", project
    proc.terminate()
    proc.wait(timeout=120)


def call(base, path, body=None, content_type="application/json", method=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"content-type": content_type} if data else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def records(server):
    _, project = server
    test = pd.read_parquet(project.root / "data" / "test.parquet").drop(columns="churned").head(4)
    return test.astype(object).where(test.notna(), None).to_dict(orient="records")


def test_health_metadata_and_version(server):
    base, project = server
    assert call(base, "/v2/health/live") == (200, {"live": True})
    assert call(base, "/ping")[0] == 200 and call(base, "/health")[0] == 200
    status, meta = call(base, f"/v2/models/{project.spec.model}")
    assert status == 200 and meta["versions"] == ["1"]
    assert {
        "name": "contract",
        "datatype": "BYTES",
        "shape": [-1],
        "parameters": {"required": True, "nullable": True},
    } in meta["inputs"]
    assert call(base, f"/v2/models/{project.spec.model}/ready") == (
        200,
        {"name": project.spec.model, "ready": True},
    )
    assert call(base, "/version")[1]["version"] == "1"


def test_both_protocols_agree(server, records):
    base, project = server
    status, mlflow_answer = call(base, "/invocations", {"dataframe_records": records})
    assert status == 200 and len(mlflow_answer["predictions"]) == 4
    columns = {k: [r[k] for r in records] for k in records[0]}
    datatypes = {
        "tenure_months": "INT64",
        "support_calls": "INT64",
        "contract": "BYTES",
        "internet_service": "BYTES",
        "payment_method": "BYTES",
    }
    body = {
        "id": "req-42",
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": k, "shape": [4], "datatype": datatypes.get(k, "FP64"), "data": v}
            for k, v in columns.items()
        ],
    }
    status, v2_answer = call(base, f"/v2/models/{project.spec.model}/versions/1/infer", body)
    assert status == 200 and v2_answer["id"] == "req-42" and v2_answer["model_version"] == "1"
    assert v2_answer["outputs"][0]["data"] == mlflow_answer["predictions"]
    assert v2_answer["outputs"][1]["shape"] == [4, 2]


@pytest.mark.parametrize(
    "path, body, content_type, status, message",
    [
        ("/invocations", b"{bad", "application/json", 400, "malformed JSON"),
        ("/invocations", b"a,b", "text/csv", 415, "unsupported content type 'text/csv'"),
        (
            "/invocations",
            {"instances": [{"tenure_months": 1}]},
            "application/json",
            400,
            "missing column",
        ),
        (
            "/invocations",
            {"dataframe_records": []},
            "application/json",
            400,
            "must be a list of records",
        ),
        ("/invocations", b"[" + b"1," * 20000 + b"1]", "application/json", 413, "over the limit"),
        ("/v2/models/nope/infer", {"inputs": []}, "application/json", 404, "unknown model 'nope'"),
        (
            "/v2/models/churn-classifier/versions/9/infer",
            {"inputs": []},
            "application/json",
            404,
            "no served version '9'",
        ),
        (
            "/v2/models/churn-classifier/infer",
            {"inputs": [{"name": "age", "shape": [1], "datatype": "FP64", "data": ["old"]}]},
            "application/json",
            400,
            "datatype FP64 but value 'old'",
        ),
    ],
)
def test_bad_input_gets_a_named_4xx_and_the_server_keeps_serving(
    server, records, path, body, content_type, status, message
):
    base, _ = server
    got_status, answer = call(base, path, body, content_type)
    assert got_status == status and message in answer["error"]
    assert "Traceback" not in answer["error"]
    assert call(base, "/invocations", {"dataframe_records": records})[0] == 200


def test_wrong_method_and_unknown_route(server):
    base, _project = server
    assert call(base, "/invocations", method="GET")[0] == 405
    assert call(base, "/nowhere")[0] == 404


def test_serve_without_a_champion_says_so_in_one_line(tmp_path):
    from ..helpers import mlmom

    mlmom("init", str(tmp_path / "p"), cwd=tmp_path, check=True)
    result = mlmom("serve", cwd=tmp_path / "p")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no registered model named 'p-model'"


def test_every_request_is_logged_with_its_id_and_feedback_joins(server, records):
    import sqlite3

    base, project = server
    request = urllib.request.Request(
        base + "/invocations",
        json.dumps({"dataframe_records": records}).encode(),
        headers={"content-type": "application/json", "x-request-id": "order-1234"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.headers["x-request-id"] == "order-1234"
        assert response.headers["x-mlmom-route"] == "champion"
    with urllib.request.urlopen(base + "/ping", timeout=60) as response:
        generated = response.headers["x-request-id"]
    assert len(generated) == 32 and generated != "order-1234"
    status, answer = call(
        base,
        "/feedback",
        {
            "labels": [
                {"request_id": "order-1234", "row": i, "label": i % 2} for i in range(len(records))
            ]
        },
    )
    assert (status, answer) == (200, {"accepted": len(records)})
    assert call(base, "/feedback", {"labels": [{"label": 1}]})[0] == 400
    status, answer = call(
        base,
        "/feedback",
        {"labels": [{"request_id": "order-1234", "row": len(records), "label": 1}]},
    )
    assert status == 404 and f"so it has no row {len(records)}" in answer["error"]
    status, answer = call(base, "/feedback", {"labels": [{"request_id": "order-9", "label": 1}]})
    assert (
        status == 404 and "no prediction was logged under request id 'order-9'" in answer["error"]
    )
    again = urllib.request.Request(
        base + "/invocations",
        json.dumps({"dataframe_records": records}).encode(),
        headers={"content-type": "application/json", "x-request-id": "order-1234"},
    )
    with pytest.raises(urllib.error.HTTPError) as reused:
        urllib.request.urlopen(again, timeout=60)
    assert reused.value.code == 409
    assert "request id 'order-1234' was already used" in json.loads(reused.value.read())["error"]
    db = project.root / ".mlmom" / "predictions.db"
    for _ in range(100):  # written in the background within ~50 ms
        conn = sqlite3.connect(db)
        found = conn.execute(
            "SELECT version, route, n_rows, inputs FROM predictions WHERE request_id = 'order-1234'"
        ).fetchall()
        joined = conn.execute(
            "SELECT COUNT(*) FROM predictions p JOIN feedback f "
            "ON f.request_id = p.request_id "
            "WHERE p.request_id = 'order-1234'"
        ).fetchone()[0]
        conn.close()
        if found:
            break
        time.sleep(0.1)
    version, route, n_rows, inputs = found[0]
    assert (version, route, n_rows) == ("1", "champion", len(records))
    assert json.loads(inputs)["contract"] == [r["contract"] for r in records]
    assert joined == len(records)


def test_graceful_shutdown_loses_no_logged_prediction(example_run, records, tmp_path):
    import http.client
    import signal
    import sqlite3

    project = own_copy(example_run[0], tmp_path / "churn")
    proc, port = start_server(project.root)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"dataframe_records": records[:1]})
    for i in range(300):
        conn.request(
            "POST",
            "/invocations",
            body,
            {"content-type": "application/json", "x-request-id": f"graceful-{i}"},
        )
        assert conn.getresponse().read()
    proc.send_signal(signal.SIGTERM)  # at once: some records are still queued
    proc.wait(timeout=120)
    db = sqlite3.connect(project.root / ".mlmom" / "predictions.db")
    logged = db.execute("SELECT COUNT(*) FROM predictions WHERE request_id LIKE 'graceful-%'")
    assert logged.fetchone()[0] == 300


def test_safe_mode_loses_no_acknowledged_prediction_to_kill_9(example_run, records, tmp_path):
    import http.client
    import signal
    import sqlite3

    import yaml

    project, _ = example_run
    root = tmp_path / "safe"
    own_copy(project, root)
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["serving"] = {"log": {"durability": "safe"}}
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    proc, port = start_server(root)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"dataframe_records": records[:1]})
    for i in range(200):
        conn.request(
            "POST",
            "/invocations",
            body,
            {"content-type": "application/json", "x-request-id": f"safe-{i}"},
        )
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    proc.send_signal(signal.SIGKILL)  # no shutdown at all: only what is on disk survives
    proc.wait(timeout=120)
    db = sqlite3.connect(root / ".mlmom" / "predictions.db")
    logged = db.execute("SELECT COUNT(*) FROM predictions WHERE request_id LIKE 'safe-%'")
    assert logged.fetchone()[0] == 200


def metric_total(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=60) as response:
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    ), text


def test_metrics_add_up_across_workers(server, records):
    base, _project = server
    before, _ = metric_total(base, "mlmom_requests_total")
    errors_before, _ = metric_total(base, "mlmom_request_errors_total")
    for _ in range(40):  # a new connection each time: both workers answer some
        assert call(base, "/invocations", {"dataframe_records": records[:1]})[0] == 200
    for _ in range(5):
        assert call(base, "/invocations", {"instances": "bad"})[0] == 400
    for _ in range(3):  # whichever worker answers /metrics, the sums are the same
        after, text = metric_total(base, "mlmom_requests_total")
        errors_after, _ = metric_total(base, "mlmom_request_errors_total")
        assert after - before == 40 and errors_after - errors_before == 5
    lines = text.splitlines()
    assert any(
        line.startswith("mlmom_request_duration_seconds_bucket{")
        and 'le="0.01"' in line
        and 'route="champion"' in line
        and 'version="1"' in line
        for line in lines
    )
    predicted = [line for line in lines if line.startswith("mlmom_predictions_total{")]
    assert predicted and all(
        'prediction="0"' in line or 'prediction="1"' in line for line in predicted
    )
    assert any(
        line.startswith('mlmom_model_load_seconds{model="churn-classifier",version="1"}')
        for line in lines
    )
    # where the twin really runs (no GPU here: the CPU, whatever was asked)
    runs_on = [line for line in lines if line.startswith("mlmom_model_runs_on{")]
    assert runs_on and all(
        'engine="onnx"' in line
        and 'provider="CPUExecutionProvider"' in line
        and line.endswith(" 1.0")
        for line in runs_on
    ), runs_on
    assert any(line.startswith("mlmom_requests_in_flight") for line in lines)
    assert any(
        line.startswith("mlmom_request_errors_total{")
        and 'code="invalid_input"' in line
        and 'route="champion"' in line
        and 'version="1"' in line
        for line in lines
    )


def test_openapi_document_is_valid_and_truthful(server, records):
    from openapi_spec_validator import validate

    base, _project = server
    status, doc = call(base, "/openapi.json")
    assert status == 200
    validate(doc)  # a valid OpenAPI 3.1 document
    row = doc["components"]["schemas"]["Row"]
    assert set(row["properties"]) == set(records[0]) and "contract" in row["required"]
    # every documented GET that needs no path parameter answers with a documented status
    for path, item in doc["paths"].items():
        if "get" in item and "{" not in path:
            got = urllib.request.Request(base + path)
            try:
                with urllib.request.urlopen(got, timeout=60) as response:
                    code = str(response.status)
            except urllib.error.HTTPError as err:
                code = str(err.code)
            assert code in item["get"]["responses"], (path, code)
    for path in ("/invocations", "/feedback", "/v2/models/{name}/infer"):
        assert "415" in doc["paths"][path]["post"]["responses"]


def test_execution_providers_are_checked(server):
    from mlmom_lab.errors import InvalidRequest
    from mlmom_lab.registry.providers import execution_providers

    assert execution_providers()[-1] == "CPUExecutionProvider"
    assert execution_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    with pytest.raises(InvalidRequest, match="'TensorrtExecutionProvider' is not available here"):
        execution_providers(["TensorrtExecutionProvider"])
    from ..helpers import mlmom

    _, project = server
    result = mlmom("serve", "--providers", "NopeExecutionProvider", cwd=project.root)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: execution provider 'NopeExecutionProvider'")


def test_a_scrape_reads_each_routes_counters_for_the_labs_charts(server, records):
    from mlmom_lab.serving.scrape import scrape

    base, _project = server

    def champion(sample):  # a route no request took yet has no series: all zero
        routes = [r for r in sample["routes"] if (r["version"], r["route"]) == ("1", "champion")]
        return routes[0] if routes else {"requests": 0, "errors": 0, "buckets": [(None, 0)]}

    before = champion(scrape(base))
    for _ in range(10):
        assert call(base, "/invocations", {"dataframe_records": records[:1]})[0] == 200
    for _ in range(2):
        assert call(base, "/invocations", {"instances": "bad"})[0] == 400
    sample = scrape(base)
    after = champion(sample)
    assert after["requests"] - before["requests"] == 10
    assert after["errors"] - before["errors"] == 2
    bounds = [b for b, _ in after["buckets"]]
    assert bounds[-1] is None and bounds[:-1] == sorted(bounds[:-1])  # +Inf last
    counts = [n for _, n in after["buckets"]]
    assert counts == sorted(counts) and counts[-1] - before["buckets"][-1][1] == 10
    assert sample["shadow"] == [] and sample["in_flight"] >= 0
