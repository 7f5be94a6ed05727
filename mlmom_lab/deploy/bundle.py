"""One registered version as a folder a server loads without the registry.

A container (or any machine) serves from the bundle alone: the MLflow model, its ONNX twin
when it passed parity, and ``version.json`` with what the registry knew (name, version, task,
ONNX inputs, metrics, lineage) and the project's serving settings (prediction log,
micro-batching). ``mlmom serve --bundle DIR`` serves it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InvalidRequest, NotFound
from ..project import Project

META = "version.json"


def export(project: Project, ref: str, dest: Path) -> dict[str, Any]:
    """Write version ``ref`` of the project's model to ``dest`` (created; must be empty)."""
    import mlflow

    from .. import registry
    from ..mlflow_clients import use_project
    from ..registry.reading import reader_for

    if dest.exists() and any(dest.iterdir()):
        raise InvalidRequest(f"{dest} is not empty: give a new folder for the bundle")
    use_project(project)
    name, version = registry.parse_ref(ref, project.spec.model)
    info = registry.get_version(name, version, project)
    dest.mkdir(parents=True, exist_ok=True)
    mlflow.artifacts.download_artifacts(artifact_uri=info.source, dst_path=str(dest / "model"))
    if info.onnx.get("status") == "ok":
        if info.run_id is None:  # the twin is an artifact of the run that registered it
            raise NotFound(f"version {info.version} has no MLflow run to take its ONNX twin from")
        twin = reader_for(project).run_file(info.run_id, "onnx/model.onnx")
        (dest / "model.onnx").write_bytes(twin)
    meta = {
        "name": info.name,
        "version": info.version,
        "task": info.task,
        "kind": info.kind,
        "refuses_gaps": info.refuses_gaps,
        "run_id": info.run_id,
        "source": info.source,
        "onnx": info.onnx,
        "metrics": info.metrics,
        "lineage": info.lineage,
        "serving": project.spec.serving.model_dump(),
        "exported_at": time.time(),
        "mlmom_lab": __version__,
    }
    (dest / META).write_text(json.dumps(meta, indent=1, default=str))
    return meta


def read(folder: Path) -> dict[str, Any]:
    """The bundle's ``version.json``, or a clear error when ``folder`` is not a bundle."""
    try:
        meta: dict[str, Any] = json.loads((folder / META).read_text())
        return meta
    except FileNotFoundError:
        raise InvalidRequest(
            f"{folder} is not a model bundle (no {META}; write one with "
            "`mlmom build-docker` or mlmom_lab.deploy.bundle.export)"
        ) from None
    except ValueError as exc:
        raise InvalidRequest(f"{folder / META} is damaged: {exc}") from None
