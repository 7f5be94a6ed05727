"""Each rule of ``gate:`` as a function from what was measured to :class:`Verdict` s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..governance_spec import LOWER_IS_BETTER
from .verdicts import Outcome, Verdict

if TYPE_CHECKING:
    from ..governance_spec import ChampionRule, FairnessRule, Threshold
    from ..registry.versions import VersionInfo
    from .scoring import Scores


def thresholds(
    limits: dict[str, Threshold], metrics: dict[str, float], where: str
) -> list[Verdict]:
    """One verdict per ``gate.metrics`` entry; ``where`` says what the metrics came from."""
    verdicts = []
    for name, limit in limits.items():
        rule = f"metric {name}"
        if name not in metrics:
            known = ", ".join(sorted(metrics)) or "none"
            verdicts.append(
                Verdict(rule, "error", None, str(limit), f"no {name!r} {where} (there: {known})")
            )
            continue
        value = metrics[name]
        outcome: Outcome = "pass" if limit.holds(value) else "fail"
        verdicts.append(Verdict(rule, outcome, value, str(limit), where))
    return verdicts


def champion(
    rule: ChampionRule, candidate: Scores, champion_version: str | None, theirs: Scores | None
) -> Verdict:
    """The candidate against the champion on the same rows, by ``rule.margin``."""
    name = f"champion {rule.metric}"
    if champion_version is None or theirs is None:
        return Verdict(name, "skip", None, "", "no champion to compare with")
    ours, best = candidate.metrics.get(rule.metric), theirs.metrics.get(rule.metric)
    if ours is None or best is None:
        return Verdict(name, "error", ours, "", f"{rule.metric!r} cannot be measured on these rows")
    lower = rule.metric in LOWER_IS_BETTER
    bound = best - rule.margin if lower else best + rule.margin
    passed = ours < bound if lower else ours > bound  # beats it: an equal model is no gain
    expected = f"{'<' if lower else '>'} {bound:.6g}"
    detail = f"champion v{champion_version}: {best:.6g}, margin {rule.margin:g}"
    return Verdict(name, "pass" if passed else "fail", ours, expected, detail)


def onnx_parity(info: VersionInfo) -> Verdict:
    status = info.onnx.get("status", "none")
    if status == "ok":
        diff = info.onnx.get("max_diff")
        return Verdict("onnx parity", "pass", "ok", "ok", f"max difference {diff}")
    reason = info.onnx.get("reason") or "no ONNX twin was recorded"
    return Verdict("onnx parity", "fail", status, "ok", reason)


def fairness(rule: FairnessRule, scores: Scores) -> list[Verdict]:
    """Per sensitive column: the gap between its best and worst group with enough rows."""
    verdicts = []
    for column, groups in scores.groups.items():
        name = f"fairness {column}"
        judged = {
            g: s["metrics"][rule.metric]
            for g, s in groups.items()
            if s["rows"] >= rule.min_rows and rule.metric in s["metrics"]
        }
        if len(judged) < 2:
            detail = f"fewer than two groups with {rule.min_rows}+ rows and a {rule.metric!r} value"
            verdicts.append(Verdict(name, "error", None, f"<= {rule.max_gap:g}", detail))
            continue
        best, worst = max(judged, key=judged.__getitem__), min(judged, key=judged.__getitem__)
        gap = judged[best] - judged[worst]
        detail = (
            f"{rule.metric}: {best} {judged[best]:.4f}, {worst} {judged[worst]:.4f} "
            f"({len(judged)} groups judged)"
        )
        outcome: Outcome = "pass" if gap <= rule.max_gap else "fail"
        verdicts.append(Verdict(name, outcome, gap, f"<= {rule.max_gap:g}", detail))
    return verdicts
