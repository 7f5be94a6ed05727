"""Releases on a live 2-worker server: canary split, stickiness, shadow, flips without errors."""

import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ..helpers import mlmom
from .test_app import free_port

ROW = {"inputs": [{"name": f"x{i}", "shape": [1], "datatype": "FP64", "data": [0.1 * i]}
                  for i in range(6)]}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy") / "proj"
    mlmom("init", str(root), cwd=root.parent, check=True)
    mlmom("run", cwd=root, check=True)                                # version 1, champion
    mlmom("run", "-p", "train.C=0.001", cwd=root, check=True)         # version 2
    port = free_port()
    exe = Path(sys.executable).with_name("mlmom")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", "2"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(300):
        try:
            conn.request("GET", "/v2/health/ready")
            conn.getresponse().read()
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            conn.close()
            time.sleep(0.2)
    champion = json.loads(mlmom("registry", "show", "champion", "--no-lineage", cwd=root,
                                check=True).stdout)["version"]
    yield root, port, champion, "1" if champion == "2" else "2"
    proc.terminate()
    proc.wait(timeout=30)


def infer(conn, key=None):
    headers = {"content-type": "application/json", **({"x-mlmom-route-key": key} if key else {})}
    conn.request("POST", "/v2/models/proj-model/infer", json.dumps(ROW), headers)
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("x-mlmom-route"), response.getheader("x-mlmom-version")


def deployment(conn):
    conn.request("GET", "/deployment")
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
