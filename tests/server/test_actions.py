"""The lab's write routes on a real jupyter_server: long work as jobs that can be polled,
alias and deployment changes recorded with the Jupyter user, the model server started and
stopped as a real process, and every bad body refused with a 400 that names the field."""

import asyncio
import getpass
import json
import re
import shutil
import urllib.request

import pytest
import tornado

from mlmom_lab.demo.monitoring import customers, stream


async def call(jp_fetch, route, body=None, method="POST", **params):
    response = await jp_fetch(
        "mlmom",
        "api",
        *route.split("/"),
        params={"path": "churn", **params},
        method=method,
        body=None if method == "GET" else json.dumps(body or {}),
    )
    return response.code, json.loads(response.body)


async def refused(jp_fetch, route, body, status=400, **kwargs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await call(jp_fetch, route, body, **kwargs)
    assert caught.value.code == status, caught.value.response.body
    return json.loads(caught.value.response.body)


async def finished(jp_fetch, job, timeout=240):
    """Poll a job until it ends, reading its log once, in order, through ``log_from``."""
    seen, lines = 0, []
    for _ in range(int(timeout / 0.25)):
        _, state = await call(jp_fetch, f"jobs/{job['id']}", method="GET", log_from=seen)
        lines += state["log"]
        seen = state["log_next"]
        if state["status"] in ("done", "failed", "cancelled"):
            return state, lines
        await asyncio.sleep(0.25)
    raise AssertionError(f"job {job['title']} still {state['status']} after {timeout} s")


async def test_run_from_a_stage_is_a_job_with_progress_per_stage(jp_fetch, lab_root):
    code, job = await call(jp_fetch, "pipeline/run", {"start": "register"})
    assert code == 202 and job["status"] in ("queued", "running") and job["kind"] == "pipeline"
    state, lines = await finished(jp_fetch, job)
    assert state["status"] == "done", state["error"]
    assert state["steps"]["register"]["status"] == "ran"
    assert list(state["steps"]) == ["register"]  # from here on: register has no dependents
    assert any(" register: running" in line for line in lines), lines
    executed = state["result"]["executed"]["register"]
    assert executed.startswith("churn/.mlmom/runs/") and (lab_root / executed).exists()
    stages = (await call(jp_fetch, "pipeline", method="GET"))[1]["stages"]
    register = next(s for s in stages if s["stage"] == "register")
    assert register["fresh"] and register["needs"] == ["evaluate", "prepare", "train"]
    listed = (await call(jp_fetch, "jobs", method="GET"))[1]["jobs"]
    assert listed[0]["id"] == job["id"] and "log" not in listed[0]


async def test_a_second_run_while_one_runs_is_refused(jp_fetch, lab_root):
    _, first = await call(jp_fetch, "pipeline/run", {"start": "register"})
    body = await refused(jp_fetch, "pipeline/run", {}, status=409)
    assert body["code"] == "busy" and first["id"] in body["error"]
    await finished(jp_fetch, first)


async def test_a_running_pipeline_run_is_cancelled_and_a_finished_job_cannot_be(jp_fetch, lab_root):
    _, job = await call(jp_fetch, "pipeline/run", {"start": "train", "force": True})
    for _ in range(400):  # until a stage's notebook executes
        _, state = await call(jp_fetch, f"jobs/{job['id']}", method="GET")
        if any(s["status"] == "running" for s in state["steps"].values()):
            break
        await asyncio.sleep(0.05)
    code, asked = await call(jp_fetch, f"jobs/{job['id']}/cancel")
    assert code == 200 and asked["id"] == job["id"]
    state, lines = await finished(jp_fetch, job, timeout=60)
    assert state["status"] == "cancelled", state
    assert state["error"]["code"] == "cancelled" and "cancelled" in state["error"]["error"]
    assert "cancel requested" in " ".join(lines)
    assert state["steps"].get("register", {}).get("status") != "ran"
    again = await refused(jp_fetch, f"jobs/{job['id']}/cancel", {}, status=409)
    assert again["code"] == "busy" and "already ended (cancelled" in again["error"]
    assert (await refused(jp_fetch, "jobs/0-0/cancel", {}, status=404))["code"] == "not_found"


@pytest.mark.parametrize(
    "route, body, named",
    [
        ("pipeline/run", {"stages": ["nope"]}, "no stage named 'nope'"),
        ("pipeline/run", {"stages": "train"}, "stages"),
        ("pipeline/run", {"params": {"train": {"nope": 1}}}, "nope"),
        ("pipeline/run", {"speed": "fast"}, "speed"),
        ("registry/promote", {}, "version"),
        ("registry/promote", {"version": "99"}, "no version '99'"),
        ("registry/promote", {"version": "1", "alias": "v3"}, "alias 'v3' is not allowed"),
        ("deployment/canary", {"version": "1", "weight": 1.5}, "weight"),
        ("deployment/clear", {"timeout": 0}, "timeout"),
        ("monitoring/check", {"last": 0}, "last"),
        ("dashboards/open", {"name": "secrets"}, "name"),
    ],
)
async def test_bad_bodies_are_refused_naming_the_field(jp_fetch, lab_root, route, body, named):
    answer = await refused(jp_fetch, route, body, status=404 if "99" in named else 400)
    assert named in answer["error"]


async def test_a_dashboard_is_seeded_into_the_project_and_edits_are_kept(jp_fetch, lab_root):
    folder = lab_root / "churn" / "dashboards"
    shutil.rmtree(folder, ignore_errors=True)
    code, answer = await call(jp_fetch, "dashboards/open", {"name": "drift"})
    assert code == 200 and answer == {"path": "churn/dashboards/drift.ipynb"}
    assert {p.name for p in folder.iterdir()} == {"drift.ipynb", "explain.ipynb"}
    (folder / "explain.ipynb").write_text("{}")  # the user's own version
    assert (await call(jp_fetch, "dashboards/open", {"name": "explain"}))[1][
        "path"
    ] == "churn/dashboards/explain.ipynb"
    assert (folder / "explain.ipynb").read_text() == "{}"


async def test_a_body_that_is_not_json_is_a_400(jp_fetch, lab_root):
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await jp_fetch(
            "mlmom",
            "api",
            "registry",
            "promote",
            params={"path": "churn"},
            method="POST",
            body="{version: 1",
        )
    assert caught.value.code == 400
    assert "not JSON" in json.loads(caught.value.response.body)["error"]


@pytest.mark.parametrize(
    "route",
    [
        "pipeline/run",
        "registry/promote",
        "deployment/canary",
        "server/start",
        "monitoring/report",
        "dashboards/open",
    ],
)
async def test_no_token_no_action(jp_fetch, lab_root, route):
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await jp_fetch(
            "mlmom",
            "api",
            *route.split("/"),
            params={"path": "churn"},
            method="POST",
            body="{}",
            headers={"Authorization": ""},
        )
    assert caught.value.code == 403


async def test_promote_and_rollback_move_the_alias_and_record_the_lab_user(jp_fetch, lab_root):
    state, _ = await finished(
        jp_fetch, (await call(jp_fetch, "pipeline/run", {"start": "register"}))[1]
    )
    assert state["status"] == "done"
    _, page = await call(jp_fetch, "registry", method="GET")
    assert page["total"] == 2 and [v["version"] for v in page["versions"]] == ["2", "1"]
    _, event = await call(jp_fetch, "registry/promote", {"version": "2", "reason": "better"})
    assert (event["alias"], event["from_version"], event["to_version"]) == ("champion", "1", "2")
    _, page = await call(jp_fetch, "registry", method="GET", limit="1")
    assert page["versions"][0]["aliases"] == ["champion"] and len(page["versions"]) == 1
    _, events = await call(jp_fetch, "registry/history", method="GET")
    promoted = next(e for e in events["events"] if e["action"] == "promote")
    assert promoted["reason"] == "better"
    assert promoted["who"] not in ("", getpass.getuser())  # the Jupyter user, not the OS login
    _, compared = await call(jp_fetch, "registry/compare", method="GET", versions="champion,1")
    assert [v["version"] for v in compared["versions"]] == ["1", "2"]  # oldest first
    assert compared["versions"][1]["aliases"] == ["champion"]
    seed = next(r for r in compared["params"] if r["key"] == "prepare.seed")
    assert len(seed["values"]) == 2 and seed["same"]  # the same pipeline registered again
    _, back = await call(jp_fetch, "registry/rollback", {})
    assert back["to_version"] == "1" and back["action"] == "rollback"
    _, deployed = await call(jp_fetch, "deployment/canary", {"version": "2", "weight": 0.25})
    assert (deployed["champion"], deployed["canary"], deployed["canary_weight"]) == ("1", "2", 0.25)
    assert (
        deployed["message"] == "canary v2 at 25% no server is running: it applies when one starts"
    )
    assert deployed["rollout"]["done"] and deployed["rollout"]["workers"] == []
    _, deployed = await call(jp_fetch, "deployment/promote", {})
    assert deployed["champion"] == "2" and deployed["canary"] is None
    assert "in the lab" in deployed["reason"]
    lab_user = re.compile(r"Anonymous \w+ \([0-9a-f]{32}\)")  # token requests: one each
    assert lab_user.fullmatch(deployed["by"])  # the lab user, in the deployment's record
    _, events = await call(jp_fetch, "registry/history", method="GET")
    moved = [e for e in events["events"] if e["when"] > promoted["when"]]
    assert moved and all(lab_user.fullmatch(e["who"]) for e in moved)  # canary, promote too


@pytest.fixture
def stops_the_server(lab_root):
    """Whatever the test's end, the model server it started does not outlive it."""
    yield
    from mlmom_lab.errors import NotFound
    from mlmom_lab.project import load_project
    from mlmom_lab.serving import local_server

    try:
        local_server.stop(load_project(lab_root / "churn"))
    except NotFound:
        pass


async def test_server_start_traffic_check_report_stop(jp_fetch, lab_root, stops_the_server):
    _, job = await call(jp_fetch, "server/start")
    state, _ = await finished(jp_fetch, job)
    assert state["status"] == "done", state["error"]
    _, server = await call(jp_fetch, "server", method="GET")
    assert server["running"] and server["deployment"]["champion"] == "1"
    await refused(jp_fetch, "server/start", {}, status=409)
    await asyncio.to_thread(lambda: urllib.request.urlopen(f"{server['url']}/ping").read())
    from mlmom_lab.project import load_project

    project = load_project(lab_root / "churn")
    frame = customers(project, 200, seed=5, shift=1.0)
    await asyncio.to_thread(stream, server["port"], frame, "lab-test")
    for _ in range(600):  # the log writer flushes in the background, about every second
        _, server = await call(jp_fetch, "server", method="GET")
        if server["traffic"]["requests"] == 10:
            break
        await asyncio.sleep(0.1)
    assert server["traffic"]["requests"] == 10 and server["traffic"]["p99_ms"] > 0
    assert [w["seq"] for w in server["workers"]] == [server["deployment"]["seq"]]
    assert server["traffic"]["routes"][0]["version"] == "1"

    state, _ = await finished(jp_fetch, (await call(jp_fetch, "monitoring/check", {}))[1])
    assert state["status"] == "done", state["error"]
    assert state["result"]["rows"] == 200
    _, monitoring = await call(jp_fetch, "monitoring", method="GET")
    assert monitoring["latest"]["rows"] == 200 and len(monitoring["history"]) == 1
    assert {f["feature"] for f in monitoring["latest"]["features"]} >= {"monthly_charges"}
    # explanation drift beside the data drift: each feature's share of the mean |SHAP|
    explanation = state["result"]["explanation"]
    assert {f["name"] for f in explanation["features"]} >= {"monthly_charges", "contract"}
    shares = [f["shap_share"] for f in monitoring["latest"]["features"]]
    assert sum(s[0] for s in shares) == pytest.approx(1) == sum(s[1] for s in shares)
    state, _ = await finished(jp_fetch, (await call(jp_fetch, "monitoring/report", {}))[1])
    assert state["status"] == "done", state["error"]
    assert (lab_root / state["result"]["html"]).stat().st_size > 10_000

    _, stopped = await call(jp_fetch, "server/stop")
    assert stopped["running"] is False
    assert (await call(jp_fetch, "server", method="GET"))[1]["running"] is False
    await refused(jp_fetch, "server/stop", {}, status=404)
