"""Reading the registry: models, versions, their aliases, metrics, ONNX status and lineage."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..mlflow_clients import missing_as
from ..project import Project, load_project

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

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


def to_info(mv: ModelVersion, aliases: list[str] | None = None) -> VersionInfo:
    """A :class:`VersionInfo` from an MLflow ModelVersion and its tags."""
    tags = dict(mv.tags or {})
    return VersionInfo(
        name=mv.name,
        version=str(mv.version),
        aliases=sorted(aliases if aliases is not None else getattr(mv, "aliases", []) or []),
        created=int(mv.creation_timestamp or 0),
        run_id=mv.run_id,
        source=mv.source or "",  # MLflow requires one; typed optional
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
        description=mv.description or "",
        explain={
            k.removeprefix("mlmom.explain."): v
            for k, v in tags.items()
            if k.startswith("mlmom.explain.")
        },
        kind=tags.get("mlmom.kind", ""),
        refuses_gaps=_json_list(tags.get("mlmom.inputs.refuses_gaps")),
    )


def _json_list(raw: str | None) -> list[Any]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _onnx(tags: dict[str, str]) -> dict[str, Any]:
    """The ONNX export's record, typed: status, reason, max_diff, parity_rows, inputs and
    the calibration (``onnx_below`` and the hardware it was measured on)."""
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
    return typed


def list_versions(
    name: str | None = None, project: Project | str | None = None
) -> list[VersionInfo]:
    """Every version of the model (the project's model by default), newest first."""
    project = project_of(project)
    name = name or project.spec.model
    client = client_for(project)
    try:
        aliases = _aliases(client, name)
    except NotFound:
        return []  # nothing registered yet
    found = client.search_model_versions(f"name = '{_quote(name)}'", max_results=100_000)
    infos = [to_info(mv, [a for a, v in aliases.items() if v == str(mv.version)]) for mv in found]
    return sorted(infos, key=lambda i: int(i.version), reverse=True)


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
    client = client_for(project)
    aliases = _aliases(client, name)
    number = aliases.get(str(version), str(version))
    if not number.isdigit():
        raise NotFound(f"model {name!r} has no version or alias {version!r}")
    with missing_as(NotFound(f"model {name!r} has no version {number}")):
        mv = client.get_model_version(name, number)
    return to_info(mv, [a for a, v in aliases.items() if v == number])


def parse_ref(ref: str, default_model: str) -> tuple[str, str]:
    """``"model@champion"``, ``"model/3"``, ``"3"`` or ``"champion"`` -> (model, version or alias)."""
    for sep in ("@", "/"):
        if sep in ref:
            name, _, version = ref.rpartition(sep)
            return name.removeprefix("models:/"), version
    return default_model, ref


def get_lineage(info: VersionInfo, project: Project | str | None = None) -> dict[str, Any]:
    """The full lineage document stored with a version."""
    project = project_of(project)
    client = client_for(project)
    missing = NotFound(
        f"version {info.name}/{info.version} has no lineage (it was not "
        "registered by mlmom_lab.registration)"
    )
    if info.run_id is None:  # no run to read it from (MLflow would refuse a None run id)
        raise missing
    with missing_as(missing):
        path = client.download_artifacts(info.run_id, "lineage/lineage.json")
    lineage: dict[str, Any] = json.loads(Path(path).read_text())
    return lineage


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    with missing_as(NotFound(f"no registered model named {name!r}")):
        model = client.get_registered_model(name)
    return {alias: str(version) for alias, version in (model.aliases or {}).items()}


def _quote(name: str) -> str:
    return name.replace("'", "\\'")
