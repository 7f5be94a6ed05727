"""Releases on a live 2-worker server: each returns once both workers serve it, then the
canary split, stickiness, shadow, flips without errors; a stopped worker makes a release
run out of time and is named, a version that cannot load is refused at once."""

import http.client
import json
import os
import re
import signal
import threading
import time

import pytest

from mlmom_lab.identity import current_user
from mlmom_lab.serving.launch import output_of

from ..helpers import mlmom, start_server

pytestmark = pytest.mark.http  # every test here talks to a real server on 127.0.0.1

PREDICT_KEY, ADMIN_KEY = "pk-0123456789abcdef", "ak-fedcba9876543210"
ROW = {
    "inputs": [
        {"name": f"x{i}", "shape": [1], "datatype": "FP64", "data": [0.1 * i]} for i in range(6)
    ]
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy") / "proj"
    mlmom("init", str(root), cwd=root.parent, check=True)
    mlmom("run", cwd=root, check=True)  # version 1, champion
    mlmom("run", "-p", "train.C=0.001", cwd=root, check=True)  # version 2
    proc, port = start_server(
        root, "--workers", "2", env={"MLMOM_API_KEYS": f"predict:{PREDICT_KEY},admin:{ADMIN_KEY}"}
    )
    yield root, port
    proc.terminate()
    proc.wait(timeout=120)
    output = output_of(proc)
    assert PREDICT_KEY not in output and ADMIN_KEY not in output  # never in a log line


@pytest.fixture
def live(server):
    """The server as every test starts from it, whatever ran before (tests run in any order):
    the champion alone, whichever version an earlier test left there, and the other one."""
    root, port = server
    state = json.loads(mlmom("deploy", "status", "--json", cwd=root, check=True).stdout)
    if state["canary"] or state["shadow"]:
        mlmom("deploy", "clear", "-m", "a new test starts", cwd=root, check=True)
    champion = state["champion"]
    return root, port, champion, "1" if champion == "2" else "2"


def infer(conn, key=None, api_key=PREDICT_KEY):
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {api_key}",
        **({"x-mlmom-route-key": key} if key else {}),
    }
    conn.request("POST", "/v2/models/proj-model/infer", json.dumps(ROW), headers)
    response = conn.getresponse()
    response.read()
    return (
        response.status,
        response.getheader("x-mlmom-route"),
        response.getheader("x-mlmom-version"),
    )


def deployment(conn):
    conn.request("GET", "/deployment", headers={"x-api-key": ADMIN_KEY})
    return json.loads(conn.getresponse().read())


def served_everywhere(port, seq, workers=2):
    """Right after a release returns: every worker serves ``seq``, by their own records
    and by what each answers (many connections reach both workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/v2/health/ready")
    ready = json.loads(conn.getresponse().read())
    assert len(ready["workers"]) == workers and all(w["seq"] >= seq for w in ready["workers"])
    answered = set()
    for _ in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # any worker
        state = deployment(conn)
        conn.close()
        assert state["seq"] >= seq, f"worker {state['worker']} still routes by {state['seq']}"
        answered.add(state["worker"])
    assert answered <= {w["pid"] for w in ready["workers"]}


def deploy(root, *args):
    """``mlmom deploy ARGS``: it says the change is live on both workers; the new status."""
    result = mlmom("deploy", *args, cwd=root, check=True)
    assert re.search(r" live on 2 of 2 workers in \d+\.\d s$", result.stdout.splitlines()[-1]), (
        result.stdout + who_follows(root)
    )
    return json.loads(mlmom("deploy", "status", "--json", cwd=root, check=True).stdout)


def test_canary_split_is_weighted_and_sticky(live):
    root, port, champion, other = live
    state = deploy(root, "canary", other, "--weight", "0.3", "-m", "try it")
    assert state["canary"] == other and state["canary_weight"] == 0.3
    assert state["by"] == current_user()  # who changed the deployment, for the audit trail
    served_everywhere(port, state["seq"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    routes = [infer(conn, key=f"customer-{i}") for i in range(600)]
    assert all(status == 200 for status, _, _ in routes)
    share = sum(route == "canary" for _, route, _ in routes) / len(routes)
    assert 0.24 < share < 0.36, share
    assert {v for _, route, v in routes if route == "canary"} == {other}
    assert {v for _, route, v in routes if route == "champion"} == {champion}
    again = [infer(conn, key=f"customer-{i}")[1] for i in range(50)]
    assert again == [r for _, r, _ in routes[:50]]  # the same key keeps its route


def test_shadow_sees_every_request_and_never_answers(live):
    root, port, _champion, other = live
    state = deploy(root, "shadow", other)
    served_everywhere(port, state["seq"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    before = deployment(conn)["shadow_stats"]["requests"]
    answers = [infer(conn) for _ in range(40)]
    assert all(
        version in ("1", "2") and route in ("champion", "canary") for _, route, version in answers
    )
    assert deployment(conn)["shadow_stats"]["requests"] > before
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    shadowed = [
        line for line in text.splitlines() if line.startswith("mlmom_shadow_predictions_total{")
    ]
    assert shadowed and all(f'version="{other}"' in line for line in shadowed)
    assert sum(float(line.rsplit(" ", 1)[1]) for line in shadowed) >= 40
    deploy(root, "clear")


def test_promote_and_rollback_under_load_fail_no_request(live):
    root, port, champion, other = live
    stop, results = threading.Event(), []

    def load():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(results) > 100 and set(results) == {200}
    served_everywhere(port, state["seq"])
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(8)]
    assert {infer(c)[2] for c in conns for _ in range(3)} == {other}  # both workers' answers
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
    _root, port, _champion, other = live
    assert request(port, "GET", "/v2/health/ready")[0] == 200  # probes need no key
    status, answer = request(port, "POST", "/v2/models/proj-model/infer", ROW)
    assert (status, answer) == (
        401,
        {"error": "an API key is required (Authorization: Bearer <key>)", "code": "unauthorized"},
    )
    status, answer = request(port, "POST", "/v2/models/proj-model/infer", ROW, api_key="guess")
    assert (status, answer) == (401, {"error": "the API key is not valid", "code": "unauthorized"})
    assert request(port, "POST", "/v2/models/proj-model/infer", ROW, api_key=PREDICT_KEY)[0] == 200
    status, answer = request(
        port, "POST", "/deployment/canary", {"version": other, "weight": 0.5}, api_key=PREDICT_KEY
    )
    assert (status, answer) == (
        403,
        {"error": "this needs an API key with the admin scope", "code": "forbidden"},
    )
    assert request(port, "GET", "/deployment", api_key=PREDICT_KEY)[0] == 403


def test_releases_over_http_with_the_admin_scope(live):
    _root, port, _, _ = live
    current = request(port, "GET", "/deployment", api_key=ADMIN_KEY)[1]["champion"]
    other = "1" if current == "2" else "2"
    status, state = request(
        port,
        "POST",
        "/deployment/canary",
        {"version": other, "weight": 0.25, "reason": "over http"},
        api_key=ADMIN_KEY,
    )
    assert status == 200 and state["canary"] == other and state["canary_weight"] == 0.25
    assert state["rollout"]["done"] and state["rollout"]["live"] == 2
    assert state["message"].startswith(f"canary v{other} at 25% live on 2 of 2 workers in ")
    served_everywhere(port, state["seq"])
    status, answer = request(
        port, "POST", "/deployment/canary", {"version": other, "weight": 2}, api_key=ADMIN_KEY
    )
    assert status == 400 and "must be above 0 and at most 1" in answer["error"]
    status, answer = request(port, "POST", "/deployment/clear", {"timeout": -1}, api_key=ADMIN_KEY)
    assert (
        status == 400
        and answer["error"] == "timeout: must be above 0 and at most 3600 seconds, not -1"
    )
    status, state = request(port, "POST", "/deployment/clear", {}, api_key=ADMIN_KEY)
    assert status == 200 and state["canary"] is None
    served_everywhere(port, state["seq"])
    assert request(port, "POST", "/deployment/launch", {}, api_key=ADMIN_KEY)[0] == 404


def test_a_champion_moved_in_the_registry_is_reported_live(live):
    root, port, _, _ = live
    current = json.loads(mlmom("deploy", "status", "--json", cwd=root, check=True).stdout)
    target = "1" if current["champion"] == "2" else "2"
    out = mlmom("registry", "promote", target, "-m", "by the registry", cwd=root, check=True).stdout
    assert out.splitlines()[0] == f"champion: {current['champion']} -> {target}"
    assert re.fullmatch(
        rf"deployment: champion v{target} live on 2 of 2 workers in \d+\.\d s", out.splitlines()[1]
    ), out
    served_everywhere(port, current["seq"] + 1)


def who_follows(root) -> str:
    """Each live worker record of the project and the process behind it (to tell, when a
    count is off, which process it was)."""
    import psutil

    from mlmom_lab.config import STATE_DIR
    from mlmom_lab.serving.rollout import live_workers

    lines = []
    for state in live_workers(root / STATE_DIR):
        try:
            process = psutil.Process(state.pid)
            seen = f"{process.status()} ppid {process.ppid()} {' '.join(process.cmdline())[:160]}"
        except psutil.Error as exc:
            seen = repr(exc)
        lines.append(f"\n  worker {state.pid} seq {state.seq}: {seen}")
    return "".join(lines)


def workers(port):
    return request(port, "GET", "/v2/health/ready")[1]["workers"]


def test_a_worker_killed_is_not_waited_for(live):
    """uvicorn replaces a worker that died; the release waits for nobody dead (the killed
    worker's record goes) and counts the replacement once it serves."""
    root, port, _champion, other = live
    killed = workers(port)[0]["pid"]
    os.kill(killed, signal.SIGKILL)
    result = mlmom("deploy", "shadow", other, "-m", "one worker down", cwd=root, check=True)
    assert re.search(r" live on ([12]) of \1 workers? in ", result.stdout), result.stdout
    assert killed not in [w["pid"] for w in workers(port)]
    for _ in range(240):  # uvicorn's replacement may take a while to load on a busy machine
        if len(workers(port)) == 2:
            break
        time.sleep(0.5)
    state = deploy(root, "clear")  # the replacement, once up, counts like any worker
    served_everywhere(port, state["seq"])


def test_a_stopped_worker_is_named_and_catches_up_once_resumed(live):
    """A second server, of one worker, on the same project is stopped (SIGSTOP: alive, it
    follows nothing, and no supervisor replaces it): a release runs out of time naming it;
    resumed, it follows, and the next release is live on all three workers."""
    root, port, _champion, other = live
    proc, single = start_server(root)
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            result = mlmom("deploy", "shadow", other, "--timeout", "3", cwd=root)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        assert result.returncode == 3, result.stderr
        seq = json.loads(mlmom("deploy", "status", "--json", cwd=root, check=True).stdout)["seq"]
        assert (
            f"shadow v{other} (change {seq}) is written but not live after 3 s on 1 of 3 "
            f"workers (worker {proc.pid} serves change {seq - 1}); they will still follow it"
            in result.stderr
        ), result.stderr
        done = mlmom(
            "deploy", "clear", "-m", "the stopped server follows again", cwd=root, check=True
        )
        assert " live on 3 of 3 workers in " in done.stdout
        served_everywhere(single, seq + 1, workers=3)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    assert proc.pid not in [w["pid"] for w in workers(port)]  # it removed its record


def test_a_version_no_worker_can_load_is_refused_at_once(live):
    """A new version's ONNX twin is damaged in the artifact store: both workers fail to load
    it and say why; the release ends at once (exit 3), and clearing it is live again."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from mlmom_lab.mlflow_clients import client
    from mlmom_lab.project import load_project
    from mlmom_lab.registration import register_model

    root, port, champion, other = live
    project = load_project(root)
    train = pd.read_parquet(root / "data" / "train.parquet")
    features = [c for c in train.columns if c != "label"]
    model = LogisticRegression(C=0.01).fit(train[features], train.label)
    broken = register_model(
        model, train[features].head(5), held_out=train[features], project=project
    ).version
    twin = (
        client(project)
        .get_run(client(project).get_model_version(project.spec.model, broken).run_id)
        .info.artifact_uri
    )
    with open(f"{twin.removeprefix('file://')}/onnx/model.onnx", "wb") as damaged:
        damaged.write(b"not an onnx graph")
    result = mlmom("deploy", "canary", broken, "--weight", "0.5", cwd=root)
    assert result.returncode == 3, result.stderr
    assert f"canary v{broken} at 50% (change " in result.stderr
    assert "is written but not live: worker" in result.stderr
    assert "failed to apply change" in result.stderr and "INVALID_PROTOBUF" in result.stderr
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    assert {infer(conn)[2] for _ in range(20)} <= {champion, other}  # still the last good one
    state = deploy(root, "clear", "-m", "away with the broken canary")
    served_everywhere(port, state["seq"])
