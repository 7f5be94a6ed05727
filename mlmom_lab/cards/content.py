"""What a model card says, gathered from where each fact already lives: the version and its
lineage in the registry, the quality gate's result (metrics overall and per group), SHAP's
global importance, the monitoring history and alerts, the approvals, and ``mlmom.yaml``'s
``governance:`` (owner, intended use)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project
    from ..registry.versions import VersionInfo

TOP_FEATURES = 8
RECENT_CHECKS = 10


def gather(project: Project, info: VersionInfo) -> dict[str, Any]:
    """Everything the template may show about ``info`` (plain data: a project's own template
    reads the same names)."""
    from ..registry.approvals import history, of

    governance = project.spec.governance
    return {
        "project": project.spec.project,
        "description": project.spec.description,
        "owner": governance.owner,
        "intended_use": governance.intended_use,
        "version": info.as_dict(),
        "registered": _date(info.created / 1000),
        "lineage": _lineage(project, info),
        "gate": info.gate,
        "groups": _groups(info.gate.get("evaluation", {}).get("groups", {})),
        "features": _features(project, info),
        "checks": _checks(project, info),
        "alerts": _alerts(project, info),
        "approval": of(info).as_dict(),
        "approvals": [
            {**a.as_dict(), "date": _date(a.when)}
            for a in history(project, info.name)
            if a.version == info.version
        ],
        "generated": _date(time.time()),
    }


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "-"


def _lineage(project: Project, info: VersionInfo) -> dict[str, Any]:
    """The data files and their hashes, the stages' parameters, the code and environment."""
    from ..errors import NotFound
    from ..registry.versions import get_lineage

    try:
        lineage = get_lineage(info, project)
    except NotFound:
        return {}
    git = lineage.get("git") or {}
    return {
        "data": lineage.get("data", {}),
        "params": {s: e.get("params", {}) for s, e in lineage.get("stages", {}).items()},
        "git_commit": git.get("commit", ""),
        "git_dirty": git.get("dirty", False),
        "environment": lineage.get("environment", {}).get("hash", ""),
        "pipeline_run_id": lineage.get("pipeline_run_id", ""),
    }


def _groups(groups: dict[str, Any]) -> list[dict[str, Any]]:
    """Per sensitive column: each group's rows and metrics, and each metric's gap (best -
    worst group)."""
    tables = []
    for column, by_group in groups.items():
        metrics = sorted({m for g in by_group.values() for m in g.get("metrics", {})})
        gaps = {}
        for metric in metrics:
            values = [g["metrics"][metric] for g in by_group.values() if metric in g["metrics"]]
            gaps[metric] = max(values) - min(values) if len(values) > 1 else None
        rows = [{"group": name, **g} for name, g in by_group.items()]
        tables.append({"column": column, "metrics": metrics, "rows": rows, "gaps": gaps})
    return tables


def _features(project: Project, info: VersionInfo) -> list[dict[str, Any]]:
    """The top features by mean |SHAP| on the training rows, as registered."""
    from ..errors import NotFound
    from ..explain.artifacts import ARTIFACT_PATH, IMPORTANCE
    from ..registry.reading import reader_for

    if info.run_id is None:
        return []
    try:
        raw = reader_for(project).run_file(info.run_id, f"{ARTIFACT_PATH}/{IMPORTANCE}")
    except NotFound:
        return []
    features = json.loads(raw).get("features", [])
    ranked = sorted(features, key=lambda f: -abs(f.get("mean_abs", 0.0)))
    return ranked[:TOP_FEATURES]


def _checks(project: Project, info: VersionInfo) -> list[dict[str, Any]]:
    """The latest monitoring checks of this version: drift share, performance, alerts."""
    from ..monitoring.export import read_history

    mine = [
        {**c, "date": _date(c["ts"])}
        for c in read_history(project.state_dir)
        if c.get("model") == info.name and str(c.get("version")) == info.version
    ]
    return mine[-RECENT_CHECKS:]


def _alerts(project: Project, info: VersionInfo) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from ..monitoring.alerts import history

    fired = history(project.prediction_log_uri, limit=1000)
    return [
        {**asdict(a), "date": _date(a.ts)}
        for a in fired
        if a.model == info.name and a.version == info.version
    ]
