"""Versions side by side: metrics, parameters, data, code and environment."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidRequest, NotFound
from ..project import Project
from .versions import VersionInfo, get_lineage, get_version, project_of

MAX_COMPARED = 12  # columns a person can still read side by side
SECTIONS = ("metrics", "params", "data", "lineage", "onnx")


def compare_versions(
    refs: list[str | int], *, name: str | None = None, project: Project | str | None = None
) -> dict[str, Any]:
    """Two or more versions (or aliases) of a model side by side: each version whole, and for
    every key of their metrics, parameters, data hashes, lineage and ONNX record the value of
    each version (None where it has none) and whether they all agree. Oldest first."""
    if not 2 <= len(refs) <= MAX_COMPARED:
        raise InvalidRequest(f"compare needs 2 to {MAX_COMPARED} versions, got {len(refs)}")
    project = project_of(project)
    infos = sorted(
        {v.version: v for v in (get_version(name, ref, project) for ref in refs)}.values(),
        key=lambda v: int(v.version),
    )
    if len(infos) < 2:
        raise InvalidRequest(f"compare needs two different versions, got v{infos[0].version} only")
    columns = _columns(infos, project)
    return {
        "name": infos[0].name,
        "versions": [v.as_dict() for v in infos],
        **{section: _side_by_side(columns[section]) for section in SECTIONS},
    }


def compare(
    a: str | int, b: str | int, *, name: str | None = None, project: Project | str | None = None
) -> dict[str, Any]:
    """What differs between versions (or aliases) ``a`` and ``b``, in that order, with the
    change of each numeric metric (``delta``: b - a)."""
    project = project_of(project)
    va, vb = get_version(name, a, project), get_version(name, b, project)
    columns = _columns([va, vb], project)
    return {
        "name": va.name,
        "versions": [va.version, vb.version],
        "aliases": [va.aliases, vb.aliases],
        **{s: [_pair(row) for row in _side_by_side(columns[s])] for s in SECTIONS},
    }


def _columns(infos: list[VersionInfo], project: Project) -> dict[str, list[dict[str, Any]]]:
    """Each section's values, one dict per version."""
    lineages = [_lineage(v, project) for v in infos]
    return {
        "metrics": [v.metrics for v in infos],
        "params": [_params(la) for la in lineages],
        "data": [la.get("data", {}) for la in lineages],
        "lineage": [v.lineage for v in infos],
        "onnx": [v.onnx for v in infos],
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


def _side_by_side(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per key of any column: each column's value, and whether all are the same."""
    rows = []
    for key in sorted(set().union(*columns)):
        values = [column.get(key) for column in columns]
        rows.append({"key": key, "values": values, "same": all(v == values[0] for v in values)})
    return rows


def _pair(row: dict[str, Any]) -> dict[str, Any]:
    """A two-column row as ``a``/``b``, with ``delta`` between two floats."""
    va, vb = row["values"]
    pair = {"key": row["key"], "a": va, "b": vb, "same": row["same"]}
    if isinstance(va, float) and isinstance(vb, float):
        pair["delta"] = vb - va
    return pair
