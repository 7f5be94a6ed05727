"""The demo's monitoring chapter: drifting traffic, late labels, an alert, and the loop.

The demo project gains a ``monitoring`` section (an alert on the feature that drifts and a
retraining policy), a real server takes a stream of customers whose population and churn
behaviour shift part-way, the labels arrive late in batches, and each check is printed: the
drift, the estimated and measured performance, the alert, the retraining run, the canary,
and the decision on live labels.
"""

from __future__ import annotations

import json
import signal
import sys
import urllib.request

import yaml

from ..project import load_project
from ..serving import deployment
from ..serving.launch import start_server
from . import Say

MONITORING = {
    "window": 1000,
    "alerts": [
        {
            "name": "charges-drift",
            "kind": "feature_drift",
            "feature": "monthly_charges",
            "min_samples": 200,
            "cooldown": "1h",
        },
        {
            "name": "accuracy-drop",
            "kind": "performance_drop",
            "metric": "accuracy",
            "max_drop": 0.1,
            "min_samples": 200,
        },
    ],
    "retrain": {
        "on": ["charges-drift"],
        "target_column": "churned",
        "recent_param": "prepare.recent",
        "params": {"register.auto_champion": False, "prepare.n_rows": 400, "train.n_iter": 2},
        "holdout": 0.3,
        "metric": "accuracy",
        "canary_weight": 0.5,
        "min_samples": 150,
    },
}


def monitor_chapter(project, say: Say) -> dict:
    """Run the chapter on the demo's project; return the loop's steps."""
    say("6. Watch the model in production: mlmom.yaml gains a monitoring section (an alert")
    say("   when monthly_charges drifts, and a retraining loop on it).")
    project = _with_monitoring(project)
    from ..monitor_check import run_check

    server, port = start_server(project.root)
    try:
        stream(port, customers(project, 400, seed=500, shift=0.0), "steady")
        seen = _show(run_check(project), "   calm traffic, labelled:", say, 0)
        say("   the customers change: prices up, more support calls, churn behaves differently")
        stream(port, customers(project, 1600, seed=501, shift=1.0), "shifted")
        first = run_check(project)
        seen = _show(first, "   check:", say, seen)
        stream(port, customers(project, 1200, seed=502, shift=1.0), "canary")
        second = run_check(project)
        _show(second, "   check on the canary's labels:", say, seen)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    state = deployment.current(project)
    say(
        f"   the champion is now version {state.champion}; the story is in "
        f"`mlmom monitor status`, `mlmom monitor alerts` and `mlmom registry history`"
    )
    return {"loop": second.loop, "champion": state.champion}


def customers(project, n: int, seed: int, shift: float):
    """Customers from the example's own generator (its ``shift`` moves them)."""
    sys.path.insert(0, str(project.root))
    from churn_data import make_customers  # the example project's module

    return make_customers(n, seed=seed, shift=shift)


def stream(port: int, frame, prefix: str, target: str = "churned", batch: int = 20) -> int:
    """Serve ``frame`` in requests of ``batch`` rows (each keyed, so a canary split is
    repeatable), then send all their labels late, in one ``/feedback`` call."""
    features = [c for c in frame.columns if c != target]
    labels = []
    for i in range(0, len(frame), batch):
        chunk = frame.iloc[i : i + batch]
        rows = chunk[features].astype(object).where(chunk[features].notna(), None)
        request_id = f"{prefix}-{i}"
        _post(
            port,
            "/invocations",
            {"dataframe_records": rows.to_dict(orient="records")},
            {"x-request-id": request_id, "x-mlmom-route-key": request_id},
        )
        labels += [
            {"request_id": request_id, "row": r, "label": int(v)}
            for r, v in enumerate(chunk[target])
        ]
    return _post(port, "/feedback", {"labels": labels}, {})["accepted"]


def _post(port: int, path: str, body: dict, headers: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        json.dumps(body).encode(),
        {"content-type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _with_monitoring(project):
    spec_path = project.root / "mlmom.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["monitoring"] = MONITORING
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_project(project.root)


def _show(result, title: str, say: Say, seen: int) -> int:
    """Print one check; return how many loop steps have been shown so far."""
    drift, performance = result.drift, result.drift.performance
    drifted = [c.column for c in drift.features.columns if c.drifted]
    say(
        f"{title} {drift.window.rows} rows of version {drift.window.version}, "
        f"{drift.window.labelled} labelled; drifted: {', '.join(drifted) or 'none'}"
    )
    if performance and performance.measured:
        say(
            f"     accuracy measured {performance.measured['accuracy']:.3f}, estimated "
            f"{performance.estimated.get('accuracy', float('nan')):.3f}, baseline "
            f"{performance.baseline.get('accuracy', float('nan')):.3f}"
        )
    for alert in result.alerts:
        say(f"     ALERT {alert.message}")
    for step in (result.loop or {}).get("history", [])[seen:]:  # the loop moved
        say(f"     loop: {step['message']}")
    return len((result.loop or {}).get("history", []))
