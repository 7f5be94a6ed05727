"""Lab figures with 1,000 registered versions, side by side with MLflow's own server.

1. The registry route: ``GET /mlmom/api/registry?limit=50`` (the panel's first page and the
   total) on a real Jupyter server with our extension, next to MLflow's REST search of the
   same model's versions (``/api/2.0/mlflow/model-versions/search``, what MLflow's UI asks
   for) on ``mlflow server`` over the same SQLite store: one page of 50 and all 1,000.
   Target: ours under 300 ms.
2. The Registry panel in a real JupyterLab in Debian's Chromium: from opening its tab to the
   first page of versions drawn, paging to older versions, and the longest main-thread task
   meanwhile (a frozen page is a long task; the browser reports those over 50 ms).

The versions are copies of one version registered by the example pipeline (its real tags,
metrics, ONNX record and lineage). These machines are noisy: medians, and ratios to quote.

    python benchmarks/lab_api.py [--versions 1000] [--repeats 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from example import copy_example

BIN = Path(sys.executable).parent
PAGE = 50
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def make_project(root: Path, versions: int) -> dict:
    """The example project, run once, then its version copied until there are ``versions``."""
    from mlmom_lab.mlflow_clients import client
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project

    copy_example(root)
    project = load_project(root)
    began = time.perf_counter()
    assert run_pipeline(project).ok, "the example pipeline failed"
    pipeline_s = time.perf_counter() - began
    import mlflow as mlflow_module

    # the registry resolves a `models:/m-...` source through the default tracking store
    mlflow_module.set_tracking_uri(project.tracking_uri)
    mlflow = client(project)
    first = mlflow.get_model_version(project.spec.model, "1")
    began = time.perf_counter()
    for _ in range(versions - 1):
        mlflow.create_model_version(
            project.spec.model,
            first.source,
            first.run_id,
            tags=first.tags,
            description=first.description,
        )
    return {
        "pipeline_s": round(pipeline_s, 1),
        "copies_s": round(time.perf_counter() - began, 1),
        "versions": versions,
    }


def start(command: list[str], log: Path, ready: str, env: dict | None = None):
    """Start a server in the log's folder (mlflow server leaves an mlflow.db in its cwd)."""
    from mlmom_lab.serving.launch import wait_until_ready

    out = open(log, "w")  # noqa: SIM115 - the server writes to it for as long as it runs
    proc = subprocess.Popen(
        command,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=log.parent,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})},
    )
    if not wait_until_ready(ready, proc):
        proc.kill()
        raise SystemExit(f"{command[0]} did not start:\n{log.read_text()[-2000:]}")
    return proc


def start_lab(root: Path, scratch: Path) -> tuple[subprocess.Popen, int, str]:
    """JupyterLab on ``root`` as `mlmom lab` starts it: (process, port, token)."""
    from mlmom_lab.serving.launch import free_port

    token, port = secrets.token_hex(16), free_port()
    lab = start(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={token}",
        ],
        scratch / "lab.log",
        f"http://127.0.0.1:{port}/api/status?token={token}",
        {"JUPYTER_CONFIG_DIR": str(scratch / "cfg"), "MLMOM_LAB_OPEN_SIDEBAR": "1"},
    )
    return lab, port, token


def timed_gets(port: int, path: str, headers: dict, repeats: int) -> dict:
    """The first GET (cold caches), then the median and p90 of ``repeats`` more, on one
    kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, size = [], 0
    for _ in range(repeats + 1):
        began = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status, body[:300])
        times.append((time.perf_counter() - began) * 1000)
        size = len(body)
    first, warm = times[0], sorted(times[1:])
    return {
        "first_ms": round(first, 1),
        "median_ms": round(statistics.median(warm), 1),
        "p90_ms": round(warm[int(0.9 * (len(warm) - 1))], 1),
        "bytes": size,
    }


def routes(lab_port: int, token: str, mlflow_port: int, model: str, repeats: int) -> dict:
    ours = {"authorization": f"token {token}"}
    search = "/api/2.0/mlflow/model-versions/search?" + urllib.parse.urlencode(
        {"filter": f"name='{model}'", "order_by": "version_number DESC"}
    )
    return {
        "mlmom_registry_page": timed_gets(
            lab_port, f"/mlmom/api/registry?path=churn&limit={PAGE}", ours, repeats
        ),
        "mlmom_registry_oldest_page": timed_gets(
            lab_port,
            f"/mlmom/api/registry?path=churn&before={PAGE + 1}&limit={PAGE}",
            ours,
            repeats,
        ),
        "mlflow_search_page": timed_gets(mlflow_port, f"{search}&max_results={PAGE}", {}, repeats),
        "mlflow_search_all": timed_gets(mlflow_port, f"{search}&max_results=1000", {}, repeats),
    }


LONG_TASKS = """() => {
    window.__long = [];
    new PerformanceObserver(list => list.getEntries().forEach(
        e => window.__long.push(e.duration))).observe({type: 'longtask'});
}"""


def panel(url: str, token: str, loads: int) -> dict:
    """Open the Registry tab ``loads`` times on fresh pages; page to older versions on each."""
    from playwright.sync_api import sync_playwright

    side = "#mlmom-lab-sidebar"
    opened, paged, longest = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/lab/tree/churn/train.ipynb?token={token}")
            page.wait_for_selector(f"{side} .mlmom-tabs", timeout=120_000)
            page.evaluate(LONG_TASKS)
            began = time.perf_counter()
            page.click(f"{side} button[data-panel=registry]")
            page.wait_for_function(
                f"document.querySelectorAll('{side} li.mlmom-version').length === {PAGE}"
            )
            opened.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            page.click(f"{side} .mlmom-pager button:has-text('Older')")
            page.wait_for_selector(f"{side} li.mlmom-version[data-version='{1000 - PAGE}']")
            paged.append((time.perf_counter() - began) * 1000)
            longest.append(max(page.evaluate("window.__long"), default=0.0))
            page.close()
        browser.close()
    return {
        "open_registry_median_ms": round(statistics.median(opened), 1),
        "page_older_median_ms": round(statistics.median(paged), 1),
        "longest_task_max_ms": round(max(longest), 1),
        "longest_task_per_load_ms": [round(x, 1) for x in longest],  # which load froze
        "rows_drawn": PAGE,
        "loads": loads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with tempfile.TemporaryDirectory() as scratch:
        lab_root = Path(scratch) / "lab"
        setup = make_project(lab_root / "churn", args.versions)
        from mlmom_lab.project import load_project

        project = load_project(lab_root / "churn")
        from mlmom_lab.serving.launch import free_port

        mlflow_port = free_port()
        lab, lab_port, token = start_lab(lab_root, Path(scratch))
        mlflow = start(
            [
                str(BIN / "mlflow"),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(mlflow_port),
                "--workers",
                "1",
                "--backend-store-uri",
                project.tracking_uri,
            ],
            Path(scratch) / "mlflow.log",
            f"http://127.0.0.1:{mlflow_port}/health",
        )
        try:
            results = {
                "setup": setup,
                "routes": routes(lab_port, token, mlflow_port, project.spec.model, args.repeats),
            }
            print(json.dumps(results, indent=2), flush=True)
            results["panel"] = panel(f"http://127.0.0.1:{lab_port}", token, args.loads)
        finally:
            for proc in (lab, mlflow):
                proc.terminate()
                proc.wait(timeout=30)
    print(json.dumps(results["panel"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
