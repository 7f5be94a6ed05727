"""`mlmom gate` on the example project: each outcome, its exit code and its JUnit report, the
champion and fairness rules on real scores, and bad rules refused in one line."""

from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ET

import joblib
import pandas as pd
import pytest
import yaml

from mlmom_lab import gate, registration, registry
from mlmom_lab.errors import MlmomError
from mlmom_lab.project import load_project

from ..helpers import mlmom, own_copy

EVALUATION = {"data": "data/evaluation.parquet", "target": "churned"}


@pytest.fixture
def project(example_run, tmp_path):
    return own_copy(example_run[0], tmp_path / "churn")


def with_gate(project, rules: dict | None, **governance):
    """The project with its ``gate:`` section replaced (and ``governance:`` amended)."""
    path = project.root / "mlmom.yaml"
    raw = yaml.safe_load(path.read_text())
    raw.pop("gate", None)
    if rules is not None:
        raw["gate"] = rules
    raw["governance"] = {**raw.get("governance", {}), **governance}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        return load_project(project.root)
    except MlmomError:
        return None  # a spec the test means to be refused


def junit_cases(path) -> dict[str, str]:
    """Each test case's name and outcome in a JUnit report."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and root.find("testsuite") is not None
    outcomes = {}
    for case in root.iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = kinds[0] if kinds else "passed"
    return outcomes


def test_the_example_gate_passes_exit_0_with_junit_and_the_result_recorded(project, tmp_path):
    done = mlmom("gate", "--junit-xml", str(tmp_path / "gate.xml"), cwd=project.root)
    assert done.returncode == 0, done.stderr
    assert "gate passed" in done.stdout and "fairness age_band" in done.stdout
    cases = junit_cases(tmp_path / "gate.xml")
    assert cases == {
        "metric roc_auc >= 0.75": "passed",
        "metric accuracy >= 0.7": "passed",
        "champion roc_auc": "skipped",  # version 1 is the champion itself
        "onnx parity ok": "passed",
        "fairness age_band <= 0.15": "passed",
    }
    recorded = gate.recorded(registry.get_version(None, "1", project))
    assert recorded.status == "passed" and recorded.evaluation["rows"] == 1500
    assert len(recorded.evaluation["sha256"]) == 64


def test_a_failed_rule_exits_1_and_is_a_junit_failure(project, tmp_path):
    with_gate(project, {"evaluation": EVALUATION, "metrics": {"roc_auc": ">= 0.99"}})
    done = mlmom("gate", "1", "--junit-xml", str(tmp_path / "gate.xml"), cwd=project.root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout and "gate failed" in done.stdout
    assert junit_cases(tmp_path / "gate.xml") == {"metric roc_auc >= 0.99": "failure"}


def test_a_metric_it_cannot_measure_exits_2_naming_it(project, tmp_path):
    with_gate(project, {"evaluation": EVALUATION, "metrics": {"roc_acu": ">= 0.7"}})
    done = mlmom("gate", "--json", "--junit-xml", str(tmp_path / "gate.xml"), cwd=project.root)
    assert done.returncode == 2, done.stdout + done.stderr
    verdict = json.loads(done.stdout)["verdicts"][0]
    assert verdict["outcome"] == "error" and "'roc_acu'" in verdict["detail"]
    assert "roc_auc" in verdict["detail"]  # the metrics it does have
    assert junit_cases(tmp_path / "gate.xml") == {"metric roc_acu >= 0.7": "error"}


@pytest.mark.parametrize(
    ("rules", "args", "said"),
    [
        ({"metrics": {"roc_auc": "=> 0.7"}}, [], "roc_auc: '=> 0.7' is not a threshold"),
        ({"metrics": {"roc_auc": ">= 0.7"}}, ["9"], "no version 9"),
        ({"champion": {"metric": "roc_auc"}}, [], "gate.champion needs gate.evaluation"),
        (None, [], "no gate: rules"),
        (
            {"evaluation": {**EVALUATION, "data": "data/none.parquet"}, "onnx_parity": True},
            [],
            "data/none.parquet does not exist",
        ),
    ],
)
def test_what_it_cannot_judge_exits_2_in_one_line_and_changes_nothing(
    project, tmp_path, rules, args, said
):
    with_gate(project, rules)
    before = registry.get_version(None, "1", project).gate
    done = mlmom("gate", *args, "--junit-xml", str(tmp_path / "gate.xml"), cwd=project.root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert junit_cases(tmp_path / "gate.xml") == {"gate": "error"}
    assert registry.get_version(None, "1", project).gate == before


def test_the_champion_rule_compares_both_versions_on_the_same_rows(project):
    test = pd.read_parquet(project.root / "data" / "test.parquet")
    features = [c for c in test.columns if c not in ("churned", "age_band")]
    model = joblib.load(project.root / "models" / "model.joblib")
    second = registration.register_model(model, test[features].head(5), project=project)
    rules = {"evaluation": EVALUATION, "champion": {"metric": "roc_auc", "margin": 0.01}}
    result = gate.judge(with_gate(project, rules), second.version)
    (verdict,) = result.verdicts
    assert (result.against, verdict.outcome) == ("1", "fail")  # the same model: no better
    assert verdict.expected == f"> {verdict.value + 0.01:.6g}"
    rules["champion"]["margin"] = -0.01  # may be a little worse: it is exactly as good
    assert gate.judge(with_gate(project, rules), second.version).status == "passed"
    rules["champion"]["margin"] = 0.0  # an equal model does not beat the champion
    assert gate.judge(with_gate(project, rules), second.version).status == "failed"


def test_fairness_judges_each_group_with_enough_rows(project):
    rules = {
        "evaluation": EVALUATION,
        "fairness": {"metric": "accuracy", "max_gap": 0.01, "min_rows": 300},
    }
    result = gate.judge(with_gate(project, rules), "1", record=False)
    (verdict,) = result.verdicts
    assert verdict.outcome == "fail" and verdict.rule == "fairness age_band"
    test = pd.read_parquet(project.root / "data" / "evaluation.parquet")
    big = (test["age_band"].value_counts() >= 300).sum()
    assert f"({big} groups judged)" in verdict.detail


def test_without_evaluation_rows_the_recorded_metrics_are_judged(project):
    result = gate.judge(with_gate(project, {"metrics": {"roc_auc": ">= 0.5"}}), record=False)
    (verdict,) = result.verdicts
    recorded = registry.get_version(None, "1", project).metrics["roc_auc"]
    assert (verdict.outcome, verdict.value) == ("pass", recorded)
    assert verdict.detail == "recorded at registration" and result.evaluation == {}


def test_the_reproducibility_rule_re_runs_the_versions_pipeline(project, tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    rules = {"reproduce": {"tolerance": 1e-9}, "onnx_parity": True}
    result = gate.judge(with_gate(project, rules), "1", record=False)
    reproduced = next(v for v in result.verdicts if v.rule == "reproducible")
    assert (reproduced.outcome, reproduced.value) == ("pass", "same"), reproduced
    assert not any(temp.glob("mlmom-reproduce-*")), "the re-run's copy was left behind"
    (project.root / "churn_data.py").write_text(
        (project.root / "churn_data.py").read_text() + "\n# edited since\n"
    )
    changed = gate.judge(load_project(project.root), "1", record=False)
    verdict = next(v for v in changed.verdicts if v.rule == "reproducible")
    assert verdict.outcome == "error" and "churn_data.py" in verdict.detail
    assert changed.exit_code == 2
    assert not any(temp.glob("mlmom-reproduce-*"))
