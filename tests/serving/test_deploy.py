"""Releases on a live 2-worker server: canary split, stickiness, shadow, flips without errors."""

import http.client
import json
import threading
import time

import pytest

from mlmom_lab.registry.aliases import current_user
from mlmom_lab.serving.process import output_of

from ..helpers import mlmom, start_server

PREDICT_KEY, ADMIN_KEY = "pk-0123456789abcdef", "ak-fedcba9876543210"
ROW = {"inputs": [{"name": f"x{i}", "shape": [1], "datatype": "FP64", "data": [0.1 * i]}
                  for i in range(6)]}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy") / "proj"
    mlmom("init", str(root), cwd=root.parent, check=True)
    mlmom("run", cwd=root, check=True)                                # version 1, champion
    mlmom("run", "-p", "train.C=0.001", cwd=root, check=True)         # version 2
    proc, port = start_server(root, "--workers", "2", env={
        "MLMOM_API_KEYS": f"predict:{PREDICT_KEY},admin:{ADMIN_KEY}"})
    champion = json.loads(mlmom("registry", "show", "champion", "--no-lineage", cwd=root,
                                check=True).stdout)["version"]
    yield root, port, champion, "1" if champion == "2" else "2"
    proc.terminate()
    proc.wait(timeout=30)
    output = output_of(proc)
    assert PREDICT_KEY not in output and ADMIN_KEY not in output  # never in a log line


def infer(conn, key=None, api_key=PREDICT_KEY):
    headers = {"content-type": "application/json", "authorization": f"Bearer {api_key}",
               **({"x-mlmom-route-key": key} if key else {})}
    conn.request("POST", "/v2/models/proj-model/infer", json.dumps(ROW), headers)
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("x-mlmom-route"), response.getheader("x-mlmom-version")


def deployment(conn):
    conn.request("GET", "/deployment", headers={"x-api-key": ADMIN_KEY})
    return json.loads(conn.getresponse().read())


def wait_for_seq(port, seq, workers=2, timeout=20.0):
    """Seconds until every worker answers with deployment ``seq``."""
    began, followed = time.perf_counter(), set()
    while len(followed) < workers:
        assert time.perf_counter() - began < timeout, "the server did not follow the change"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # any worker
        state = deployment(conn)
        conn.close()
        if state["seq"] == seq:
            followed.add(state["worker"])
    return time.perf_counter() - began


def deploy(root, *args):
    mlmom("deploy", *args, cwd=root, check=True)
    return json.loads(mlmom("deploy", "status", "--json", cwd=root, check=True).stdout)


def test_canary_split_is_weighted_and_sticky(live):
    root, port, champion, other = live
    state = deploy(root, "canary", other, "--weight", "0.3", "-m", "try it")
    assert state["canary"] == other and state["canary_weight"] == 0.3
    assert state["by"] == current_user()  # who changed the deployment, for the audit trail
    wait_for_seq(port, state["seq"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    routes = [infer(conn, key=f"customer-{i}") for i in range(600)]
    assert all(status == 200 for status, _, _ in routes)
    share = sum(route == "canary" for _, route, _ in routes) / len(routes)
    assert 0.24 < share < 0.36, share
    assert {v for _, route, v in routes if route == "canary"} == {other}
    assert {v for _, route, v in routes if route == "champion"} == {champion}
    again = [infer(conn, key=f"customer-{i}")[1] for i in range(50)]
    assert again == [r for _, r, _ in routes[:50]]  # the same key keeps its route


def test_shadow_sees_every_request_and_never_answers(live):
    root, port, champion, other = live
    state = deploy(root, "shadow", other)
    wait_for_seq(port, state["seq"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    before = deployment(conn)["shadow_stats"]["requests"]
    answers = [infer(conn) for _ in range(40)]
    assert all(version in ("1", "2") and route in ("champion", "canary") for _, route, version in answers)
    assert deployment(conn)["shadow_stats"]["requests"] > before
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    shadowed = [line for line in text.splitlines()
                if line.startswith("mlmom_shadow_predictions_total{")]
    assert shadowed and all(f'version="{other}"' in line for line in shadowed)
    assert sum(float(line.rsplit(" ", 1)[1]) for line in shadowed) >= 40
    deploy(root, "clear")


def test_promote_and_rollback_under_load_fail_no_request(live):
    root, port, champion, other = live
    stop, results = threading.Event(), []

    def load():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            results.append(infer(conn)[0])

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        deploy(root, "canary", other, "--weight", "0.5")
        deploy(root, "promote", "-m", "the canary wins")
        state = deploy(root, "rollback", "-m", "back again")
        assert state["champion"] == champion
        deploy(root, "canary", other, "--weight", "0.2")
        state = deploy(root, "promote")
        wait_for_seq(port, state["seq"])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(results) > 100 and set(results) == {200}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    assert {infer(conn)[2] for _ in range(20)} == {other}
    history = mlmom("registry", "history", cwd=root, check=True).stdout
    assert "the canary wins" in history and "back again" in history


def request(port, method, path, body=None, api_key=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_api_keys_and_scopes(live):
    root, port, champion, other = live
    assert request(port, "GET", "/v2/health/ready")[0] == 200  # probes need no key
    status, answer = request(port, "POST", "/v2/models/proj-model/infer", ROW)
    assert (status, answer) == (401, {"error": "an API key is required (Authorization: Bearer <key>)"})
    status, answer = request(port, "POST", "/v2/models/proj-model/infer", ROW, api_key="guess")
    assert (status, answer) == (401, {"error": "the API key is not valid"})
    assert request(port, "POST", "/v2/models/proj-model/infer", ROW, api_key=PREDICT_KEY)[0] == 200
    status, answer = request(port, "POST", "/deployment/canary", {"version": other, "weight": 0.5},
                             api_key=PREDICT_KEY)
    assert (status, answer) == (403, {"error": "this needs an API key with the admin scope"})
    assert request(port, "GET", "/deployment", api_key=PREDICT_KEY)[0] == 403


def test_releases_over_http_with_the_admin_scope(live):
    root, port, _, _ = live
    current = request(port, "GET", "/deployment", api_key=ADMIN_KEY)[1]["champion"]
    other = "1" if current == "2" else "2"
    status, state = request(port, "POST", "/deployment/canary",
                            {"version": other, "weight": 0.25, "reason": "over http"},
                            api_key=ADMIN_KEY)
    assert status == 200 and state["canary"] == other and state["canary_weight"] == 0.25
    wait_for_seq(port, state["seq"])
    status, answer = request(port, "POST", "/deployment/canary", {"version": other, "weight": 2},
                             api_key=ADMIN_KEY)
    assert status == 400 and "must be above 0 and at most 1" in answer["error"]
    status, state = request(port, "POST", "/deployment/clear", {}, api_key=ADMIN_KEY)
    assert status == 200 and state["canary"] is None
    assert request(port, "POST", "/deployment/launch", {}, api_key=ADMIN_KEY)[0] == 404
