"""The gate's parts that need no model: thresholds, outcomes, exit codes, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from pydantic import ValidationError

from mlmom_lab.gate import junit, rules
from mlmom_lab.gate.scoring import Scores
from mlmom_lab.gate.verdicts import GateResult, Verdict
from mlmom_lab.governance_spec import ChampionRule, FairnessRule, GateSpec, Threshold


@pytest.mark.parametrize(
    ("text", "value", "holds"),
    [
        (">= 0.75", 0.75, True),
        ("> 0.75", 0.75, False),
        ("<0.3", 0.2, True),
        ("<= 1e-3", 0.01, False),
    ],
)
def test_thresholds(text, value, holds):
    assert Threshold(text).holds(value) is holds


@pytest.mark.parametrize("bad", ["=> 0.7", "0.7", ">= high", ">= 0.7 or so", ""])
def test_a_malformed_threshold_names_the_metric(bad):
    with pytest.raises(ValidationError, match=f"roc_auc: {bad!r} is not a threshold"):
        GateSpec(metrics={"roc_auc": bad})


def test_an_unjudged_rule_outranks_a_failed_one():
    result = GateResult("m", "2", "1", [Verdict("a", "pass"), Verdict("b", "skip")])
    assert (result.status, result.exit_code) == ("passed", 0)
    result.verdicts.append(Verdict("c", "fail"))
    assert (result.status, result.exit_code) == ("failed", 1)
    result.verdicts.append(Verdict("d", "error"))
    assert (result.status, result.exit_code) == ("error", 2)
    assert GateResult.from_dict(result.as_dict()) == result
    assert GateResult("m", "2", None, error="no such version").exit_code == 2


def test_error_metrics_must_fall_below_the_champion():
    rule = ChampionRule(metric="rmse", margin=0.5)
    better, worse = Scores({"rmse": 2.0}), Scores({"rmse": 2.8})
    assert rules.champion(rule, better, "1", Scores({"rmse": 3.0})).outcome == "pass"
    assert rules.champion(rule, worse, "1", Scores({"rmse": 3.0})).outcome == "fail"
    assert rules.champion(rule, better, None, None).outcome == "skip"


def test_fairness_needs_two_groups_with_enough_rows():
    rule = FairnessRule(metric="accuracy", max_gap=0.1, min_rows=10)
    groups = {"a": {"rows": 50, "metrics": {"accuracy": 0.9}}, "b": {"rows": 5, "metrics": {}}}
    (verdict,) = rules.fairness(rule, Scores({}, {"band": groups}))
    assert verdict.outcome == "error" and "fewer than two groups" in verdict.detail
    groups["b"] = {"rows": 40, "metrics": {"accuracy": 0.75}}
    (verdict,) = rules.fairness(rule, Scores({}, {"band": groups}))
    assert verdict.outcome == "fail" and verdict.value == pytest.approx(0.15)


def test_junit_xml_has_one_case_per_rule():
    result = GateResult(
        "churn",
        "3",
        "2",
        [
            Verdict("metric auc", "pass", 0.8, ">= 0.7"),
            Verdict("metric f1", "fail", 0.4, ">= 0.5", "on data/test.parquet"),
            Verdict("champion auc", "skip", detail="no champion"),
            Verdict("metric x", "error", detail="no 'x' recorded"),
        ],
        when=1.0,
    )
    root = ET.fromstring(junit.to_xml(result))
    suite = root.find("testsuite")
    assert suite.get("name") == "mlmom gate: churn v3 against v2"
    assert [suite.get(k) for k in ("tests", "failures", "errors", "skipped")] == [
        "4",
        "1",
        "1",
        "1",
    ]
    cases = suite.findall("testcase")
    assert cases[1].find("failure").get("message") == "0.4 (must be >= 0.5)"
    assert cases[3].find("error").text == "no 'x' recorded"
    assert cases[2].find("skipped") is not None and cases[0].find("failure") is None
