"""Alert rules on a copy of the example project: min samples, cool-down, storage, the webhook,
the gauges on a real server's /metrics, and bad rules named by their field."""

import http.server
import json
import shutil
import threading
import time
import urllib.request
from typing import ClassVar

import numpy as np
import pytest
import yaml

from mlmom_lab.errors import InvalidInput, SpecError
from mlmom_lab.monitor_check import run_check
from mlmom_lab.monitoring.alerts import _sql_history, history
from mlmom_lab.predictions.log import PredictionLog
from mlmom_lab.project import load_project

from ..helpers import own_copy, read_only_mlmom, start_server

RULES = [
    {"name": "data-drift", "kind": "dataset_drift", "min_samples": 100},
    {"name": "charges", "kind": "feature_drift", "feature": "monthly_charges", "cooldown": "1h"},
    {
        "name": "charges-later",
        "kind": "feature_drift",
        "feature": "monthly_charges",
        "min_samples": 100_000,
    },
    {"name": "accuracy", "kind": "performance_drop", "metric": "accuracy", "max_drop": 0.5},
    {"name": "slow", "kind": "latency_p99", "max_ms": 40, "min_samples": 50},
    {"name": "errors", "kind": "error_rate", "max_rate": 0.05, "min_samples": 50},
]


class Hook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list] = []  # every request the hook got, for the test to read

    def do_POST(self):  # the standard library names it so
        Hook.received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def project(example_run, tmp_path_factory):
    """Each test's own copy (its alerts and cool-downs are its own, whatever ran before) of the
    example with alert rules, a webhook, and 200 logged requests whose
    monthly charges are 1.6x the training ones, 20 refused requests and slow answers."""
    import pandas as pd

    source, _ = example_run
    root = tmp_path_factory.mktemp("alerts") / "churn"
    own_copy(source, root)
    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec["monitoring"] = {
        "window": 400,
        "alerts": RULES,
        "webhook": f"http://127.0.0.1:{hook.server_port}/alerts",
    }
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    project = load_project(root)
    features = pd.read_parquet(root / "data" / "test.parquet").drop(columns="churned")
    log = PredictionLog(project.prediction_log_uri)
    for i in range(200):
        rows = features.iloc[2 * i : 2 * i + 2].copy()
        rows["monthly_charges"] *= 1.6
        log.record(
            request_id=f"a-{i}",
            model="churn-classifier",
            version="1",
            route="champion",
            columns={c: rows[c].to_numpy() for c in rows},
            latency_ms=10.0 + i % 100,
            outputs={
                "predict": np.array([0, 1]),
                "predict_proba": np.array([[0.8, 0.2], [0.3, 0.7]]),
            },
        )
        if i % 10 == 0:
            log.record_error(
                model="churn-classifier",
                version="1",
                route="champion",
                code="invalid_input",
                status=400,
            )
    log.close()
    yield project
    hook.shutdown()


def test_rules_fire_once_enough_samples_and_then_cool_down(project):
    now = time.time()
    first = run_check(project, now=now)
    fired = {a.rule for a in first.alerts}
    assert fired == {"charges", "slow", "errors"}  # 1 of 8 features: no dataset drift
    slow = next(a for a in first.alerts if a.rule == "slow")
    assert slow.value > 40 and slow.samples == 200
    errors = next(a for a in first.alerts if a.rule == "errors")
    assert errors.value == pytest.approx(20 / 220)
    assert first.webhook_ok is True
    assert {a["rule"] for a in Hook.received[-1]["alerts"]} == fired
    assert not run_check(project, now=now + 60).alerts  # all of them cooling down
    again = {a.rule for a in run_check(project, now=now + 3601).alerts}
    assert again == {"charges", "slow", "errors"}  # 30 min and 1 h later: all back
    assert [a.rule for a in history(project.prediction_log_uri)].count("charges") == 2
    # the read commands' standard-library read of a SQLite log is SQLAlchemy's answer
    assert history(project.prediction_log_uri, 4) == _sql_history(project.prediction_log_uri, 4)


@pytest.mark.http
def test_the_latest_check_is_on_the_servers_metrics(project):
    assert run_check(project, now=time.time() + 10 * 86400).alerts  # past every cool-down
    proc, port = start_server(project.root)
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read()
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    lines = text.decode().splitlines()
    assert any(
        line.startswith("mlmom_feature_drift_score{")
        and 'feature="monthly_charges"' in line
        and 'method="wasserstein"' in line
        for line in lines
    )
    assert any(line.startswith("mlmom_dataset_drift_share{") for line in lines)
    assert any(
        line.startswith("mlmom_performance{")
        and 'source="estimated"' in line
        and 'metric="accuracy"' in line
        for line in lines
    )
    assert any(line.startswith("mlmom_alerts_firing{") for line in lines)


def test_a_webhook_that_is_down_does_not_stop_the_check(project, tmp_path):
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"]["webhook"] = "http://127.0.0.1:9/down"
    root = tmp_path / "p"
    own_copy(project, root, keep_log=True)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = run_check(load_project(root), now=time.time() + 20 * 86400)
    assert result.alerts and result.webhook_ok is False


def test_an_unknown_feature_is_named_by_its_field(project, tmp_path):
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"]["alerts"] = [
        {"name": "typo", "kind": "feature_drift", "feature": "monthly_charge"}
    ]
    root = tmp_path / "p"
    own_copy(project, root, keep_log=True)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(InvalidInput, match="monitoring.alerts.typo.feature: 'monthly_charge'"):
        run_check(load_project(root))


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"name": "x", "kind": "feature_drift"}, "alerts.0: a feature_drift alert needs 'feature'"),
        ({"name": "x", "kind": "error_rate", "max_rate": 2}, "alerts.0.max_rate"),
        (
            {"name": "x", "kind": "latency_p99", "max_ms": 5, "metric": "f1"},
            "alerts.0: 'metric' does not apply to a latency_p99 alert",
        ),
        ({"name": "x", "kind": "dataset_drift", "cooldown": "soon"}, "alerts.0.cooldown"),
        (
            {"name": "x", "kind": "performance_drop", "metric": "auc", "max_drop": 0.1},
            "alerts.0.metric",
        ),
        ({"name": "x", "kind": "magic"}, "alerts.0.kind"),
    ],
)
def test_bad_rules_fail_at_load_naming_the_field(project, tmp_path, rule, message):
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"] = {"alerts": [rule]}
    root = tmp_path / "p"
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns(".mlmom"))
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match=f"mlmom.yaml: monitoring.{message}"):
        load_project(root)


def test_the_monitor_commands(project, tmp_path):
    from ..helpers import mlmom

    watched = mlmom(
        "monitor", "watch", "--every", "1", "--times", "1", cwd=project.root, check=True
    ).stdout
    assert "monthly_charges" in watched and "performance" in watched
    status = mlmom("monitor", "status", cwd=project.root, check=True).stdout
    assert "churn-classifier version 1" in status and "monthly_charges" in status
    assert "estimated: accuracy" in status
    fired = json.loads(mlmom("monitor", "alerts", "--json", cwd=project.root, check=True).stdout)
    assert {"charges", "slow", "errors"} <= {a["rule"] for a in fired}
    for args in (("monitor", "status"), ("monitor", "alerts", "--json")):
        read = read_only_mlmom(*args, cwd=project.root)
        assert "imported: []" in read.stderr and read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == fired
    report = mlmom("monitor", "report", "-o", str(tmp_path), cwd=project.root, check=True)
    assert "logged to MLflow with version 1" in report.stdout
    assert len(list(tmp_path.glob("drift-churn-classifier-v1-*.html"))) == 1


@pytest.mark.parametrize(
    "monitoring, message",
    [
        ({"methods": {"age": "magic"}}, "monitoring.methods.age: Input should be 'ks'"),
        (
            {"thresholds": {"age": -0.1}},
            "monitoring.thresholds.age: Input should be greater than 0",
        ),
        (
            {"retrain": {"on": ["nope"], "recent_param": "prepare.recent"}},
            "monitoring: retrain.on: no alert named 'nope'",
        ),
        (
            {"retrain": {"on": ["x"]}, "alerts": [{"name": "x", "kind": "dataset_drift"}]},
            "monitoring.retrain: the retrain strategy needs 'recent_param'",
        ),
    ],
)
def test_bad_monitoring_settings_fail_at_load(project, tmp_path, monitoring, message):
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"] = monitoring
    root = tmp_path / "p"
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns(".mlmom"))
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        load_project(root)


def test_columns_named_in_the_spec_must_be_features(project, tmp_path):
    spec = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    spec["monitoring"] = {"methods": {"agee": "psi"}}
    root = tmp_path / "p"
    own_copy(project, root, keep_log=True)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(InvalidInput, match="monitoring.methods.agee: 'agee' is not a feature"):
        run_check(load_project(root))


def test_fail_on_alert_exits_5_while_alerts_fire_and_0_once_they_cool_down(project):
    """What a CI release job reads: 5 when the check fires an alert (1 stays "could not
    check"), 0 for a quiet one."""
    from ..helpers import mlmom

    fired = mlmom("monitor", "check", "--no-explain", "--fail-on-alert", cwd=project.root)
    assert fired.returncode == 5 and "ALERT" in fired.stdout, fired.stdout + fired.stderr
    quiet = mlmom("monitor", "check", "--no-explain", "--fail-on-alert", cwd=project.root)
    assert quiet.returncode == 0 and "ALERT" not in quiet.stdout, quiet.stdout  # cooling down
    missing = mlmom("monitor", "check", "--version", "9", "--fail-on-alert", cwd=project.root)
    assert missing.returncode == 1
