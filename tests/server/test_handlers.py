"""The server extension's routes on a real jupyter_server (pytest-jupyter): each answers with
the core's data, refuses requests without a token, and refuses paths outside the root."""

import json

import pytest
import tornado

from mlmom_lab.server.routes import READS


async def get(jp_fetch, route, **params):
    response = await jp_fetch("mlmom", "api", route, params=params, method="GET")
    return json.loads(response.body)


async def test_each_route_answers_for_the_open_notebooks_project(jp_fetch, lab_root):
    project = await get(jp_fetch, "project", path="churn/train.ipynb")
    assert project["project"] == "churn-demo" and project["root"] == "churn"
    assert project["stages"] == ["prepare", "train", "evaluate", "register"]
    stages = (await get(jp_fetch, "pipeline", path="churn"))["stages"]
    assert [s["stage"] for s in stages] == project["stages"]
    for stage in stages:  # every run's executed notebook opens from the panel, the latest first
        assert stage["runs"][0]["notebook"] == stage["executed_notebook"]
        assert stage["executed_notebook"].startswith("churn/.mlmom/runs/")
    versions = (await get(jp_fetch, "registry", path="churn"))["versions"]
    assert versions[0]["version"] == "1" and "champion" in versions[0]["aliases"]
    assert (await get(jp_fetch, "deployment", path="churn"))["champion"] == "1"
    monitoring = await get(jp_fetch, "monitoring", path="churn")
    assert (monitoring["latest"], monitoring["alerts"], monitoring["history"]) == (None, [], [])


async def refused(jp_fetch, route, **kwargs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await jp_fetch("mlmom", "api", route, method="GET", **kwargs)
    return caught.value.code, json.loads(caught.value.response.body or b"{}")


async def test_no_token_no_data_on_any_route(jp_fetch, lab_root):
    for route in [*READS, "jobs/0123abcd", "pipeline/executed"]:
        code, _ = await refused(
            jp_fetch, route, params={"path": "churn"}, headers={"Authorization": ""}
        )
        assert code == 403, route


@pytest.mark.parametrize("path", ["../", "churn/../../etc", "/etc", "escape"])
async def test_paths_outside_the_root_are_refused_on_every_route(jp_fetch, lab_root, path):
    (lab_root / "escape").symlink_to(lab_root.parent, target_is_directory=True)
    for route in READS:
        code, body = await refused(jp_fetch, route, params={"path": path})
        assert code == 403 and "outside the server's root" in body["error"], route


async def test_a_folder_without_a_project_says_how_to_make_one(jp_fetch, lab_root):
    with pytest.raises(tornado.httpclient.HTTPClientError) as missing:
        await jp_fetch("mlmom", "api", "registry", params={"path": "elsewhere"}, method="GET")
    assert missing.value.code == 404
    body = json.loads(missing.value.response.body)
    assert "mlmom init" in body["error"] and body["code"] == "not_found"


async def test_an_executed_notebook_of_any_run_is_a_sandboxed_page(jp_fetch, lab_root):
    stage = (await get(jp_fetch, "pipeline", path="churn"))["stages"][0]
    run = stage["runs"][0]["run_id"]
    response = await jp_fetch(
        "mlmom",
        "api",
        "pipeline",
        "executed",
        method="GET",
        params={"path": "churn", "run": run, "stage": stage["stage"]},
    )
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts ") and "default-src 'none'" in policy
    page = response.body.decode()
    assert "make_customers" in page and "jp-OutputArea" in page  # its code and its outputs


@pytest.mark.parametrize(
    "run, stage, status, named",
    [
        ("../../secrets", "prepare", 400, "not a run id"),
        ("20260101-000000-abcdef", "prepare", 404, "no executed notebook"),
        ("20260101-000000-abcdef", "../mlmom.yaml", 400, "no stage"),
    ],
)
async def test_bad_run_or_stage_names_are_refused(jp_fetch, lab_root, run, stage, status, named):
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await jp_fetch(
            "mlmom",
            "api",
            "pipeline",
            "executed",
            method="GET",
            params={"path": "churn", "run": run, "stage": stage},
        )
    assert refused.value.code == status
    assert named in json.loads(refused.value.response.body)["error"]


@pytest.mark.parametrize(
    "params, named",
    [
        ({"before": "abc"}, "?before="),
        ({"after": "0"}, "?after="),
        ({"limit": "100000"}, "at most"),
        ({"before": "3", "after": "1"}, "not both"),
    ],
)
async def test_bad_registry_pages_are_refused(jp_fetch, lab_root, params, named):
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await jp_fetch("mlmom", "api", "registry", method="GET", params={"path": "churn", **params})
    assert refused.value.code == 400
    assert named in json.loads(refused.value.response.body)["error"]
