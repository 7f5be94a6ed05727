"""Two versions side by side: metrics, parameters, data, code and environment."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..project import Project
from .versions import VersionInfo, get_lineage, get_version, project_of


def compare(
    a: str | int, b: str | int, *, name: str | None = None, project: Project | str | None = None
) -> dict[str, Any]:
    """What differs between versions (or aliases) ``a`` and ``b`` of a model."""
    project = project_of(project)
    va, vb = get_version(name, a, project), get_version(name, b, project)
    la, lb = _lineage(va, project), _lineage(vb, project)
    return {
        "name": va.name,
        "versions": [va.version, vb.version],
        "aliases": [va.aliases, vb.aliases],
        "metrics": _side_by_side(va.metrics, vb.metrics),
        "params": _side_by_side(_params(la), _params(lb)),
        "data": _side_by_side(la.get("data", {}), lb.get("data", {})),
        "lineage": _side_by_side(va.lineage, vb.lineage),
        "onnx": _side_by_side(va.onnx, vb.onnx),
    }


def _lineage(info: VersionInfo, project: Project) -> dict[str, Any]:
    try:
        return get_lineage(info, project)
    except NotFound:  # a version registered elsewhere has none
        return {}


def _params(lineage: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{stage}.{key}": value
        for stage, entry in lineage.get("stages", {}).items()
        for key, value in entry.get("params", {}).items()
    }


def _side_by_side(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        row = {"key": key, "a": va, "b": vb, "same": va == vb}
        if isinstance(va, float) and isinstance(vb, float):
            row["delta"] = vb - va
        rows.append(row)
    return rows
