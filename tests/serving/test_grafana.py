"""The shipped Grafana dashboard queries only metrics and labels the model server really exports.

The real names come from the exposition of ``mlmom_lab.serving.metrics`` itself, generated in a
subprocess (multiprocess mode, as under ``mlmom serve``) after one observation of every metric:
rename a metric or a label there and this test fails until the dashboard follows.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import mlmom_lab

DASHBOARD = Path(mlmom_lab.__file__).parent / "deploy" / "grafana" / "mlmom-serving.json"
VARIABLES = {"model", "version", "route"}

# Every metric observed once, the way app.py does (the fake runtime only feeds labels).
EXPOSE = """
import json
from types import SimpleNamespace as NS
from prometheus_client.metrics import MetricWrapperBase
from mlmom_lab.serving.metrics import exposition, metrics

m = metrics()
champion = NS(name="churn", version="3", task="classification", load_seconds=1.5,
              providers=["CPUExecutionProvider"], variant="")
shadow = NS(name="churn", version="4", task="classification", load_seconds=2.0,
            providers=[], variant="")
m.loaded(champion)
m.loaded(shadow)
m.observe(champion, "champion", "json", 0.004, NS(values=[1]))
m.observe(champion, "canary", "v2", 0.02, NS(values=[0, 1, 1]))
m.error("invalid_input", 400, "churn", "1", "champion")
m.in_flight.inc()
for result in ("agree", "disagree"):
    m.shadow.labels(shadow.name, shadow.version, result).inc()
families = [f.name for metric in vars(m).values() if isinstance(metric, MetricWrapperBase)
            for f in metric.describe()]
print(json.dumps({"families": families, "exposition": exposition().decode()}))
"""

METRIC = re.compile(r"\bmlmom_[a-z_]+")
SELECTOR = re.compile(r"\b(mlmom_[a-z_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
LABEL_VALUES = re.compile(r"label_values\(\s*(mlmom_[a-z_]+)(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)")
LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")
VARIABLE = re.compile(r"\$(?:\{)?(\w+)")
RANGE = re.compile(r"\brate\([^\[]*\[([^\]]*)\]")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{sample name: its label names} from the real exposition, e.g. *_bucket -> {.., "le"}."""
    folder = tmp_path_factory.mktemp("prometheus_multiproc")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", EXPOSE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(done.stdout)
    families = list(text_string_to_metric_families(found["exposition"]))
    # The observations above must cover every metric, or a metric could hide from this test.
    assert {f.name for f in families} == set(found["families"])
    return {s.name: set(s.labels) for f in families for s in f.samples}


@pytest.fixture(scope="module")
def dashboard():
    return json.loads(DASHBOARD.read_text())


def queries(dashboard):
    """(where, expr, legend) of every panel target and templating query."""
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"], target.get("legendFormat", "")
    for var in dashboard["templating"]["list"]:
        yield f"${var['name']}", var["definition"], ""


def test_is_an_importable_dashboard(dashboard):
    assert dashboard["title"] and dashboard["uid"] == "mlmom-serving"
    assert dashboard["schemaVersion"] == 39
    assert dashboard["time"]["from"].startswith("now-") and dashboard["refresh"]
    inputs = {i["name"]: i for i in dashboard["__inputs"]}
    assert inputs["DS_PROMETHEUS"]["type"] == "datasource"
    assert inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus"
    prometheus = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    assert dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["type"] in {"timeseries", "stat"}, panel
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["datasource"] == prometheus, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["datasource"] == prometheus, panel["title"]
    for var in dashboard["templating"]["list"]:
        assert var["type"] == "query" and var["datasource"] == prometheus
        assert var["query"]["query"] == var["definition"].strip()


def test_every_metric_is_exported(dashboard, exported):
    used = set()
    for where, expr, _ in queries(dashboard):
        names = set(METRIC.findall(expr))
        assert names, f"{where}: no mlmom_ metric in {expr!r}"
        used |= names
        unknown = names - set(exported)
        assert not unknown, f"{where}: {sorted(unknown)} not exported; known: {sorted(exported)}"
    # Each metric family of the server has a panel (histograms through their buckets).
    assert {
        "mlmom_request_duration_seconds_bucket",
        "mlmom_requests_total",
        "mlmom_request_errors_total",
        "mlmom_predictions_total",
        "mlmom_requests_in_flight",
        "mlmom_model_load_seconds",
        "mlmom_shadow_predictions_total",
    } <= used


def test_every_label_is_a_real_label(dashboard, exported):
    for where, expr, legend in queries(dashboard):
        for metric, matchers in SELECTOR.findall(expr):
            labels = set(MATCHER.findall(matchers))
            assert labels <= exported[metric], (
                f"{where}: {metric} has no {labels - exported[metric]}"
            )
        metrics = set(METRIC.findall(expr))
        groupings = [
            {label.strip() for label in g.split(",") if label.strip()}
            for g in GROUPING.findall(expr)
        ]
        for labels in groupings:
            for metric in metrics:
                assert labels <= exported[metric], (
                    f"{where}: grouping by {labels - exported[metric]}, not labels of {metric}"
                )
        for metric, label in LABEL_VALUES.findall(expr):
            assert label in exported[metric], f"{where}: {metric} has no label {label}"
        for label in LEGEND.findall(legend):  # a legend label must survive the aggregation
            assert all(label in labels for labels in groupings), f"{where}: legend {{{{{label}}}}}"
            assert all(label in exported[m] for m in metrics), f"{where}: legend {{{{{label}}}}}"


def test_variables_are_defined_and_rates_use_the_rate_interval(dashboard):
    defined = {var["name"] for var in dashboard["templating"]["list"]}
    assert defined == VARIABLES
    for where, expr, _ in queries(dashboard):
        referenced = {v for v in VARIABLE.findall(expr) if not v.startswith("__")}
        assert referenced <= defined, f"{where}: undefined {referenced - defined}"
        assert all(r == "$__rate_interval" for r in RANGE.findall(expr)), where
    exprs = " ".join(expr for _, expr, _ in queries(dashboard))
    assert "$__rate_interval" in exprs and all(f'=~"${v}"' in exprs for v in VARIABLES)
