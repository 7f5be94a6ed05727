"""The demo's serving chapter: a real server, both protocols, a canary, promote, rollback.

It starts ``mlmom serve`` as a separate process on a free local port, exactly as a user
would, drives it over HTTP, moves the deployment with the same calls as ``mlmom deploy``
(each returns once both workers serve the change, so the traffic after a canary reaches it),
and stops it with SIGTERM (the graceful path, which writes every queued log record).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import urllib.request
from collections import Counter
from typing import Any

from .. import release
from ..serving import deployment
from ..serving.launch import start_server
from ..serving.rollout import wait_started
from . import Say


def serve_chapter(project, say: Say) -> dict:
    """Run the chapter; return what the server answered."""
    try:
        server, port = start_server(project.root, "--workers", "2")
    except RuntimeError as exc:
        raise SystemExit(f"demo stopped: {exc}") from None
    # ready once one worker answers: the canary below is to reach both
    wait_started(project.state_dir, 2, timeout=60)
    say(f"5. Serve the deployment: mlmom serve --port {port} (2 workers)")
    base = f"http://127.0.0.1:{port}"
    try:
        rows = _rows(project)
        routes = _traffic(base, project, rows, say)
        candidate = _candidate(project)
        done = release.canary(project, candidate, 0.3, reason="demo canary")
        say(f"   mlmom deploy canary {candidate} -w 0.3: {done.message}")
        routes = _traffic(base, project, rows, say)
        done = release.promote(project, reason="demo: the canary is promoted")
        say(f"   mlmom deploy promote: {done.message}")
        done = release.rollback(project, reason="demo: and rolled back")
        say(f"   mlmom deploy rollback: {done.message}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    logged = _logged(project)
    say(
        f"   server stopped cleanly; {logged} predictions are in the prediction log "
        f"({project.prediction_log_uri})"
    )
    return {"routes": dict(routes), "logged": logged}


def _rows(project) -> list[dict]:
    import pandas as pd

    test = pd.read_parquet(project.root / "data" / "test.parquet").drop(columns="churned")
    sample = test.head(60)
    return sample.astype(object).where(sample.notna(), None).to_dict(orient="records")


def _post(base: str, path: str, body: dict, key: str) -> tuple[str, str]:
    request = urllib.request.Request(
        base + path,
        json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-mlmom-route-key": key},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.headers["x-mlmom-route"], response.headers["x-mlmom-version"]


def _traffic(base: str, project, rows: list[dict], say: Say) -> Counter:
    """Half the rows through MLflow's protocol, half through Open Inference v2."""
    routes: Counter = Counter()
    for i, row in enumerate(rows):
        body: dict[str, Any]
        if i % 2:
            body = {"dataframe_records": [row]}
            route, version = _post(base, "/invocations", body, f"customer-{i}")
        else:
            body = {
                "id": f"demo-{i}",
                "inputs": [
                    {"name": k, "shape": [1], "datatype": _datatype(v), "data": [v]}
                    for k, v in row.items()
                ],
            }
            route, version = _post(
                base, f"/v2/models/{project.spec.model}/infer", body, f"customer-{i}"
            )
        routes[f"{route} v{version}"] += 1
    say("   traffic: " + ", ".join(f"{n} to {r}" for r, n in sorted(routes.items())))
    return routes


def _datatype(value) -> str:
    if isinstance(value, str):
        return "BYTES"
    return "INT64" if isinstance(value, int) else "FP64"


def _candidate(project) -> str:
    from .. import registry

    champion = deployment.current(project).champion
    others = [v.version for v in registry.list_versions(project=project) if v.version != champion]
    return others[0]


def _logged(project) -> int:
    from ..predictions.log import sqlite_path

    conn = sqlite3.connect(sqlite_path(project.prediction_log_uri))
    try:
        return conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
    finally:
        conn.close()
