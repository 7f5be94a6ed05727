"""The quality gate: may this version go on? The rules of ``mlmom.yaml``'s ``gate:`` judged on
one version, against the champion, with an outcome a CI pipeline can trust.

    from mlmom_lab import gate
    result = gate.judge(project, "3")        # result.status: passed | failed | error

Reads top to bottom: resolve the versions, score them on the evaluation rows, judge each rule,
record the result with the version (tag ``mlmom.gate``: the model card and the audit trail
read it). :mod:`.verdicts` says what the exit codes mean.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidRequest, MlmomError, NotFound
from ..identity import current_user
from . import rules
from .verdicts import GateResult, Verdict

if TYPE_CHECKING:
    from ..project import Project
    from ..registry.versions import VersionInfo
    from .scoring import Rows, Scores

logger = logging.getLogger("mlmom.gate")
GATE_TAG = "mlmom.gate"
TAG_LIMIT = 7900  # MLflow refuses tag values over 8,000 characters

__all__ = ["GATE_TAG", "GateResult", "Verdict", "judge", "recorded"]


def judge(
    project: Project | str | None,
    ref: str | None = None,
    *,
    against: str = "champion",
    record: bool = True,
    who: str | None = None,
) -> GateResult:
    """Judge ``ref`` (``3``, ``challenger``, ``model@3``; the newest version by default)
    against ``against`` (an alias or a version). Errors that stop the gate before any rule
    (an unknown version, unreadable rows) are raised as :class:`MlmomError`. ``project``
    None: the running pipeline's, else the working folder's."""
    from ..registry.versions import project_of

    project = project_of(project)
    if project.spec.gate.empty:
        raise InvalidRequest(f"{project.spec_path}: no gate: rules to judge by")
    info = _candidate(project, ref)
    other = _against(project, info, against)
    result = GateResult(info.name, info.version, other.version if other else None)
    result.when, result.who = time.time(), who or current_user()
    result.verdicts = _verdicts(project, info, other, result)
    if record:
        _record(project, result)
    return result


def recorded(info: VersionInfo) -> GateResult | None:
    """The last gate result recorded with a version (see :data:`GATE_TAG`), if any."""
    return GateResult.from_dict(info.gate) if info.gate else None


def _candidate(project: Project, ref: str | None) -> VersionInfo:
    from .. import registry

    if ref is None:
        versions = registry.list_versions(None, project)
        if not versions:
            raise NotFound(f"model {project.spec.model!r} has no versions yet: nothing to judge")
        return versions[0]
    return registry.get_version(*registry.parse_ref(ref, project.spec.model), project)


def _against(project: Project, info: VersionInfo, against: str) -> VersionInfo | None:
    """The version to compare with; None when the alias is not set (a first version)."""
    from .. import registry

    try:
        return registry.get_version(info.name, against, project)
    except NotFound:
        if against.isdigit():
            raise  # a version asked for by number must exist
        return None


def _verdicts(
    project: Project, info: VersionInfo, other: VersionInfo | None, result: GateResult
) -> list[Verdict]:
    spec = project.spec.gate
    scores, theirs = _scored(project, info, other, result)
    metrics = scores.metrics if scores else info.metrics
    where = f"on {spec.evaluation.data}" if spec.evaluation else "recorded at registration"
    verdicts = rules.thresholds(spec.thresholds(), metrics, where)
    if spec.champion is not None and scores is not None:
        same = other is not None and other.version == info.version
        verdicts.append(
            Verdict(f"champion {spec.champion.metric}", "skip", None, "", "it is the champion")
            if same
            else rules.champion(spec.champion, scores, other.version if other else None, theirs)
        )
    if spec.onnx_parity:
        verdicts.append(rules.onnx_parity(info))
    if spec.fairness is not None and scores is not None:
        verdicts += rules.fairness(spec.fairness, scores)
    if spec.reproduce is not None:
        verdicts.append(_reproducible(project, info, spec.reproduce.tolerance))
    return verdicts


def _scored(
    project: Project, info: VersionInfo, other: VersionInfo | None, result: GateResult
) -> tuple[Scores | None, Scores | None]:
    """Both versions' scores on the evaluation rows (None without ``gate.evaluation``)."""
    from . import scoring

    evaluation = project.spec.gate.evaluation
    if evaluation is None:
        return None, None
    rows: Rows = scoring.read_rows(project, evaluation)
    result.evaluation = rows.describe()
    groups = project.spec.governance.groups
    ours = scoring.score(project, info, rows, groups)
    result.evaluation.update(metrics=ours.metrics, groups=ours.groups)  # the model card's
    if other is None or other.version == info.version or project.spec.gate.champion is None:
        return ours, None
    return ours, scoring.score(project, other, rows, [])


def _reproducible(project: Project, info: VersionInfo, tolerance: float) -> Verdict:
    """Re-run the version's pipeline and compare its metrics (minutes: a whole run)."""
    from ..reproduce import reproduce
    from ..track import context

    rule = "reproducible"
    if context() is not None:  # the register stage itself: re-running it would recurse
        return Verdict(rule, "skip", None, "", "inside a pipeline run: judged by `mlmom gate`")
    workdir, keep = Path(tempfile.mkdtemp(prefix="mlmom-reproduce-")), False
    try:
        done = reproduce(
            project, f"{info.name}/{info.version}", workdir=workdir, tolerance=tolerance
        )
        keep = not done.run.ok  # a failed re-run stays, for its executed notebooks
    except MlmomError as exc:
        return Verdict(rule, "error", None, "", exc.message)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if done.ok:
        return Verdict(rule, "pass", "same", f"within {tolerance:g}", f"{len(done.checks)} checks")
    if not done.run.ok:
        return Verdict(rule, "error", None, "", "the re-run failed: " + done.workdir)
    worst = max(done.mismatches, key=lambda c: c.diff if c.diff is not None else float("inf"))
    detail = f"{worst.scope}.{worst.metric}: {worst.recorded} -> {worst.reproduced}"
    return Verdict(rule, "fail", worst.diff, f"<= {tolerance:g}", detail)


def _record(project: Project, result: GateResult) -> None:
    """The result as the version's ``mlmom.gate`` tag (the last gate wins)."""
    from ..cards import log_card
    from ..registry.versions import client_for

    record = result.as_dict()
    text = json.dumps(record, default=str)
    if len(text) > TAG_LIMIT:  # MLflow's limit on a tag's value: the verdicts, not why
        record["verdicts"] = [{**v, "detail": ""} for v in record["verdicts"]]
        text = json.dumps(record, default=str)
    if len(text) > TAG_LIMIT:  # then without the metrics per group (the card says so)
        record["evaluation"] = {**record["evaluation"], "groups": {}, "groups_left_out": True}
        text = json.dumps(record, default=str)
    client_for(project).set_model_version_tag(result.name, result.version, GATE_TAG, text)
    try:  # the card shows the gate: keep its logged copy current
        log_card(project, result.version)
    except Exception as exc:  # noqa: BLE001 - the verdict stands without its card
        logger.warning("the model card of version %s was not logged: %s", result.version, exc)
