"""Lab figures: from a click in the sidebar to each main-area view drawn, in a real JupyterLab
and Debian's Chromium, and the longest main-thread task meanwhile (the browser reports every
task over 50 ms; one is a frozen page).

Two projects in one lab: ``demo/``, the example run and taken through the demo's monitoring
chapter (a served stream that drifts, checks, an alert, a retraining and its canary: what the
monitoring view draws), and ``big/``, the example with 1,000 registered versions. For each,
on fresh pages: the pipeline graph (Graph), two versions side by side (Compare, its chart
drawn), the deployment (View) and monitoring over time (View). These machines are noisy:
medians, and the worst long task of every load.

No peer draws these views: MLflow's UI compares runs, not a project's pipeline, deployment
and monitoring in one place; the registry route beside MLflow's REST is lab_api.py.

    python benchmarks/lab_views.py [--versions 1000] [--loads 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from example import copy_example
from lab_api import CHROMIUM_ARGS, LONG_TASKS, make_project, start_lab

SIDE = "#mlmom-lab-sidebar"


def make_demo(root: Path) -> dict:
    """The example, run, then through the demo's monitoring chapter."""
    from mlmom_lab.demo.monitoring import monitor_chapter
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project

    copy_example(root)
    began = time.perf_counter()
    assert run_pipeline(load_project(root)).ok, "the example pipeline failed"
    monitor_chapter(load_project(root), lambda *_: None)
    return {"setup_s": round(time.perf_counter() - began, 1)}


def _pick_two(page) -> None:
    boxes = page.locator(f"{SIDE} li.mlmom-version input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()


# view: (sidebar panel, what to do before the click, the button, drawn when this is true)
VIEWS = {
    "graph": (
        "pipeline",
        None,
        "Graph",
        "document.querySelectorAll('#mlmom-view-pipeline-graph .mlmom-node').length === 4",
    ),
    "compare": (
        "registry",
        _pick_two,
        "Compare",
        (
            "!!document.querySelector('.mlmom-compare-view .mlmom-compare-chart canvas')"
            " && document.querySelectorAll('.mlmom-compare-view table.mlmom-compare tr').length"
            " > 5"
        ),
    ),
    "deployment": (
        "deployments",
        None,
        "View",
        "!!document.querySelector('#mlmom-view-deployment .mlmom-split-bar [data-role=champion]')",
    ),
    "monitoring": (
        "monitoring",
        None,
        "View",
        (
            "!!document.querySelector('#mlmom-view-monitoring .mlmom-loop')"
            " && (document.querySelectorAll('#mlmom-view-monitoring canvas').length > 2"
            " || !!document.querySelector('#mlmom-view-monitoring .mlmom-empty'))"
        ),
    ),
}


def open_views(browser, url: str, token: str, project: str) -> tuple[dict, dict]:
    """One fresh page: each view opened from the sidebar; ms to each view drawn, and the
    longest main-thread task from its click to a second after it was drawn (the lab's own
    start, opening the notebook, is left out: the page settles first)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{url}/lab/tree/{project}/train.ipynb?token={token}")
    page.wait_for_selector(f"{SIDE} .mlmom-tabs", timeout=120_000)
    page.wait_for_selector(f"{SIDE} li.mlmom-stage[data-stage=register]", timeout=120_000)
    page.evaluate(LONG_TASKS)
    page.wait_for_timeout(3000)
    took, longest = {}, {}
    for view, (panel, before, button, drawn) in VIEWS.items():
        page.click(f"{SIDE} button[data-panel={panel}]")
        page.wait_for_selector(f"{SIDE} .mlmom-panel-{panel} h3", timeout=120_000)
        if before:
            before(page)
        page.wait_for_timeout(500)
        page.evaluate("window.__long = []")
        began = time.perf_counter()
        page.click(f"{SIDE} .mlmom-panel-{panel} button:has-text('{button}')")
        page.wait_for_function(drawn, timeout=120_000, polling="raf")
        took[view] = (time.perf_counter() - began) * 1000
        page.wait_for_timeout(1000)
        longest[view] = max(page.evaluate("window.__long"), default=0.0)
    page.close()
    return took, longest


def measure(url: str, token: str, project: str, loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    runs, longest = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(loads):
            took, worst = open_views(browser, url, token, project)
            runs.append(took)
            longest.append(worst)
        browser.close()
    return {
        **{f"{v}_median_ms": round(statistics.median(r[v] for r in runs), 1) for v in VIEWS},
        **{f"{v}_max_ms": round(max(r[v] for r in runs), 1) for v in VIEWS},
        **{f"{v}_longest_task_ms": [round(w[v], 1) for w in longest] for v in VIEWS},
        "loads": loads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "lab"
        results: dict = {"setup": {"demo": make_demo(root / "demo")}}
        results["setup"]["big"] = make_project(root / "big", args.versions)
        lab, port, token = start_lab(root, Path(scratch))
        try:
            url = f"http://127.0.0.1:{port}"
            for project in ("demo", "big"):
                results[project] = measure(url, token, project, args.loads)
                print(project, json.dumps(results[project], indent=2), flush=True)
        finally:
            lab.terminate()
            lab.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
