"""The Voilà dashboards in Debian's Chromium: standalone (`mlmom dashboards`) on a copy of
the example with a real prediction log, labels and an alert; a widget is changed and what
follows is asserted. Every request the page makes stays on 127.0.0.1: no CDN."""

import re
import socket
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from playwright.sync_api import expect

from mlmom_lab.predictions.feedback import add_feedback
from mlmom_lab.project import load_project
from mlmom_lab.serving.launch import free_port

from ..helpers import get_when_up, log_predictions, own_copy
from .conftest import shot

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
def watched(example_run, tmp_path_factory):
    """80 requests of 5 rows (the last 40 with monthly charges x1.6), all labelled, and one
    check that fires a drift alert on monthly_charges."""
    from mlmom_lab.monitor_check import run_check

    root = own_copy(example_run[0], tmp_path_factory.mktemp("dashboards") / "churn").root
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["monitoring"] = {
        "window": 400,
        "alerts": [
            {
                "name": "charges-drift",
                "kind": "feature_drift",
                "feature": "monthly_charges",
                "min_samples": 50,
            }
        ],
    }
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(root)
    test = pd.read_parquet(root / "data" / "test.parquet")
    batches = [test.iloc[5 * i : 5 * i + 5][FEATURES].copy() for i in range(80)]
    for rows in batches[40:]:
        rows["monthly_charges"] *= 1.6
    ids = log_predictions(project, batches, "d")
    add_feedback(
        project.prediction_log_uri,
        [
            {"request_id": rid, "row": r, "label": int(test["churned"].iloc[5 * i + r])}
            for i, rid in enumerate(ids)
            for r in range(5)
        ],
    )
    assert [a.rule for a in run_check(project, last=200).alerts] == ["charges-drift"]
    return project


@pytest.fixture(scope="module")
def voila(watched, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("voila") / "voila.log", "w+")  # noqa: SIM115 - Voilà's
    mlmom = [sys.executable, "-c", "from mlmom_lab.cli import main; main()"]
    proc = subprocess.Popen(
        [
            *mlmom,
            "dashboards",
            str(watched.root),
            "--no-browser",
            f"--port={port}",
            "--",
            "--Voila.ip=127.0.0.1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        get_when_up(f"{url}/", proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    with pytest.raises(OSError):  # `mlmom dashboards` became Voilà: nothing is left behind
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.fixture
def app(browser, voila):
    """A page that records every URL it asks for."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    context.set_default_timeout(90_000)  # a guard against a hang, generous on a busy machine
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    yield page, asked
    context.close()
    foreign = [u for u in asked if not u.startswith((voila, "data:", "blob:", "about:"))]
    assert not foreign, foreign


def pick(page, dropdown: str, starting: str) -> None:
    """Choose the option of an ipywidgets Dropdown whose label starts with ``starting``
    (ipywidgets shows the labels' spaces as no-break spaces)."""
    labels = page.locator(f"{dropdown} option").all_inner_texts()
    label = next(t for t in labels if t.replace("\xa0", " ").startswith(starting))
    page.select_option(f"{dropdown} select", label=label)


def test_the_explanation_dashboard_explains_the_request_picked(app, voila):
    page, _ = app
    page.goto(f"{voila}/voila/render/explain.ipynb")
    summary = page.locator(".mlmom-summary")
    summary.wait_for(timeout=120_000)
    assert "Request d-79 row 0" in summary.inner_text()  # the newest request first
    expect(page.locator(".mlmom-importance img")).to_have_count(1)
    caption = page.inner_text(".mlmom-importance-caption")  # 100 to 300 rows: until settled
    assert re.search(r"SHAP tree explainer on [123]00 training rows", caption), caption
    pick(page, ".mlmom-request", "d-3 · ")
    page.wait_for_selector(".mlmom-summary:has-text('Request d-3 row 0')")
    page.fill(".mlmom-row input", "2")
    page.press(".mlmom-row input", "Enter")
    page.wait_for_selector(".mlmom-summary:has-text('Request d-3 row 2')")
    text = page.inner_text(".mlmom-summary")
    base, total = (
        float(x)
        for x in text.split("SHAP: base ")[1].split(", the")[0].split(" + contributions = ")
    )
    assert 0 < base < 1 and 0 <= total <= 1
    rows = page.locator(".mlmom-explanation tr").all_inner_texts()
    assert len(rows) == 1 + len(FEATURES) and {r.split("\t")[0] for r in rows[1:]} == set(FEATURES)
    shap = sum(float(r.split("\t")[2]) for r in rows[1:])
    assert base + shap == pytest.approx(total, abs=1e-3)  # rounded to 4 places each
    expect(page.locator(".mlmom-local img")).to_have_count(2)  # SHAP and LIME charts
    shot(page, "6-dashboard-explain")


def test_the_drift_dashboard_follows_the_window_picked(app, voila):
    page, _ = app
    page.goto(f"{voila}/voila/render/drift.ipynb")
    page.wait_for_selector(".mlmom-drift-table", timeout=120_000)
    assert "last 1000 rows: 400 rows" in page.inner_text(".mlmom-summary")
    drifted = page.locator(".mlmom-drift-table tr:has-text('monthly_charges')").inner_text()
    assert "DRIFT" in drifted and "→" in drifted  # data drift beside the SHAP shift
    assert "charges-drift" in page.inner_text(".mlmom-alerts-table")
    expect(page.locator(".mlmom-performance-caption")).to_have_count(1)
    pick(page, ".mlmom-window", "last 200 rows")
    page.wait_for_selector(".mlmom-summary:has-text('last 200 rows: 200 rows')")
    shot(page, "7-dashboard-drift")
    page.click(".mlmom-build-report")
    frame = page.wait_for_selector("iframe.mlmom-evidently", timeout=180_000)
    content = frame.content_frame()
    content.wait_for_selector("text=Drift", timeout=60_000)
    assert "200 rows" in page.inner_text(".mlmom-report-caption")
