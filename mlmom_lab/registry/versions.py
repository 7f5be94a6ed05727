"""Reading the registry: models, versions, their aliases, metrics, ONNX status and lineage."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..project import Project, load_project
from .reading import Reader, VersionRecord, reader_for

if TYPE_CHECKING:
    from pathlib import Path

    from mlflow import MlflowClient

ALIASES = ("champion", "challenger")
METRIC_TAG = "mlmom.metric."


@dataclass
class VersionInfo:
    """One registered model version, as the CLI, the API and the lab panel show it."""

    name: str
    version: str
    aliases: list[str]
    created: int
    run_id: str | None
    source: str
    task: str
    metrics: dict[str, float] = field(default_factory=dict)
    onnx: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, str] = field(default_factory=dict)  # the version's mlmom.lineage.* tags
    description: str = ""
    explain: dict[str, str] = field(default_factory=dict)  # status, kind, top features
    kind: str = ""  # sklearn, xgboost, lightgbm, pyfunc or onnx (see registry.kinds)
    refuses_gaps: list[str] = field(default_factory=list)  # input columns: no missing values
    gate: dict[str, Any] = field(default_factory=dict)  # the last quality gate's result
    approval: dict[str, Any] = field(default_factory=dict)  # see registry.approvals
    registered_by: str = ""

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "uri": self.uri}


def project_of(project: Project | str | Path | None) -> Project:
    """A loaded project: the one given, or the notebook's pipeline project, or the cwd's."""
    if isinstance(project, Project):
        return project
    if project is None:
        from ..track import context

        ctx = context()
        project = ctx.project_root if ctx else "."
    return load_project(project)


def client_for(project: Project) -> MlflowClient:
    from ..mlflow_clients import client

    return client(project)


def to_info(record: VersionRecord, aliases: dict[str, str]) -> VersionInfo:
    """A :class:`VersionInfo` from a stored version, its tags and the model's aliases."""
    tags = record.tags
    return VersionInfo(
        name=record.name,
        version=record.version,
        aliases=sorted(a for a, v in aliases.items() if v == record.version),
        created=record.created,
        run_id=record.run_id,
        source=record.source,
        task=tags.get("mlmom.task", ""),
        metrics={
            k[len(METRIC_TAG) :]: float(v) for k, v in tags.items() if k.startswith(METRIC_TAG)
        },
        onnx=_onnx(tags),
        lineage={
            k.removeprefix("mlmom.lineage."): v
            for k, v in tags.items()
            if k.startswith("mlmom.lineage.")
        },
        description=record.description,
        explain={
            k.removeprefix("mlmom.explain."): v
            for k, v in tags.items()
            if k.startswith("mlmom.explain.")
        },
        kind=tags.get("mlmom.kind", ""),
        refuses_gaps=_json_list(tags.get("mlmom.inputs.refuses_gaps")),
        gate=_json_dict(tags.get("mlmom.gate", "")),
        approval=_json_dict(tags.get("mlmom.approval", "")),
        registered_by=tags.get("mlmom.registered_by", ""),
    )


def _json_list(raw: str | None) -> list[Any]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _onnx(tags: dict[str, str]) -> dict[str, Any]:
    """The ONNX export's record, typed: status, reason, max_diff, parity_rows, inputs, the
    calibration (``onnx_below`` and the hardware it was measured on) and the variants."""
    raw = {
        k.removeprefix("mlmom.onnx").lstrip(".") or "status": v
        for k, v in tags.items()
        if k.startswith("mlmom.onnx")
    }
    typed: dict[str, Any] = dict(raw)
    if "max_diff" in raw:
        typed["max_diff"] = float(raw["max_diff"])
    if "parity_rows" in raw:
        typed["parity_rows"] = int(raw["parity_rows"])
    if "inputs" in raw:
        typed["inputs"] = [tuple(pair) for pair in json.loads(raw["inputs"])]
    if "gaps" in raw:
        typed["gaps"] = _json_list(raw["gaps"])
    if "calibration" in raw:
        try:
            typed["calibration"] = json.loads(raw["calibration"])
        except ValueError:
            del typed["calibration"]  # unreadable: the server measures again
    variants = {k.removeprefix("variant."): typed.pop(k) for k in raw if k.startswith("variant.")}
    if variants:  # made by registry optimize: each one's figures, and whether it was kept
        typed["variants"] = {name: _json_dict(value) for name, value in variants.items()}
    return typed


def _json_dict(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def list_versions(
    name: str | None = None, project: Project | str | None = None
) -> list[VersionInfo]:
    """Every version of the model (the project's model by default), newest first."""
    project = project_of(project)
    name = name or project.spec.model
    aliases = model_aliases(name, project)
    if aliases is None:
        return []  # nothing registered yet
    infos = [to_info(record, aliases) for record in reader_for(project).versions(name)]
    return sorted(infos, key=lambda i: int(i.version), reverse=True)


def model_aliases(
    name: str | None = None, project: Project | str | None = None
) -> dict[str, str] | None:
    """The model's aliases (alias -> version); None when no such model is registered."""
    project = project_of(project)
    try:
        return reader_for(project).model(name or project.spec.model).aliases
    except NotFound:
        return None


def list_models(project: Project | str | None = None) -> list[dict[str, Any]]:
    """Registered models with their aliases and latest version."""
    client = client_for(project_of(project))
    models = []
    for rm in client.search_registered_models(max_results=1000):
        versions = [int(v.version) for v in rm.latest_versions or []]
        models.append(
            {
                "name": rm.name,
                "aliases": {a: str(v) for a, v in (rm.aliases or {}).items()},
                "latest_version": str(max(versions)) if versions else None,
                "description": rm.description or "",
            }
        )
    return models


def get_version(
    name: str | None, version: str | int, project: Project | str | None = None
) -> VersionInfo:
    """One version by number or alias (``"3"``, ``"champion"``); raises :class:`NotFound`."""
    project = project_of(project)
    name = name or project.spec.model
    reader = reader_for(project)
    aliases = reader.model(name).aliases
    number = aliases.get(str(version), str(version))
    if not number.isdigit():
        raise NotFound(f"model {name!r} has no version or alias {version!r}")
    return to_info(reader.version(name, number), aliases)


def parse_ref(ref: str, default_model: str) -> tuple[str, str]:
    """``"model@champion"``, ``"model/3"``, ``"3"`` or ``"champion"`` -> (model, version or alias)."""
    for sep in ("@", "/"):
        if sep in ref:
            name, _, version = ref.rpartition(sep)
            return name.removeprefix("models:/"), version
    return default_model, ref


def get_lineage(
    info: VersionInfo, project: Project | str | None = None, reader: Reader | None = None
) -> dict[str, Any]:
    """The full lineage document stored with a version."""
    missing = NotFound(
        f"version {info.name}/{info.version} has no lineage (it was not "
        "registered by mlmom_lab.registration)"
    )
    if info.run_id is None:  # no run to read it from (MLflow would refuse a None run id)
        raise missing
    reader = reader or reader_for(project_of(project))
    try:
        lineage: dict[str, Any] = json.loads(reader.run_file(info.run_id, "lineage/lineage.json"))
    except NotFound:
        raise missing from None
    return lineage


def aliases_of(client: MlflowClient, name: str) -> dict[str, str]:
    """Where each alias of model ``name`` points, through an MLflow client (for writers)."""
    from ..mlflow_clients import missing_as
    from .reading import model_missing

    with missing_as(model_missing(name)):
        model = client.get_registered_model(name)
    return {alias: str(version) for alias, version in (model.aliases or {}).items()}
