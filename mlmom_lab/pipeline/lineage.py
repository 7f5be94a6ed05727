"""Lineage: where a result came from (code, data, parameters, environment, executed notebooks)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project


def git_info(root: Path) -> dict[str, Any] | None:
    """The commit, branch and dirty flag of the git repository holding ``root``, if any."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "."))
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    return {"commit": commit, "branch": branch, "dirty": dirty}


def stage_entry(
    key: dict[str, Any],
    *,
    status: str,
    run_id: str,
    mlflow_run_id: str | None,
    executed_notebook: str,
    notebook: str,
    outs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What lineage keeps of one stage run."""
    return {
        "notebook": notebook,
        "notebook_sha256": key["notebook"],
        "params": key["params"],
        "deps": key["deps"],
        "outs": outs or {},
        "kernel": key["kernel"],
        "cache_key": key["key"],
        "status": status,
        "run_id": run_id,
        "mlflow_run_id": mlflow_run_id,
        "executed_notebook": executed_notebook,
        # the same notebook as an MLflow artifact, reachable from any machine on the store
        "notebook_artifact": (
            f"runs:/{mlflow_run_id}/notebook/{Path(executed_notebook).name}"
            if mlflow_run_id and executed_notebook
            else None
        ),
    }


def from_record(record: dict[str, Any], notebook: str, status: str) -> dict[str, Any]:
    """Lineage of an upstream stage, from its cache record."""
    return stage_entry(
        record,
        status=status,
        run_id=record["run_id"],
        mlflow_run_id=record.get("mlflow_run_id"),
        executed_notebook=record.get("executed_notebook", ""),
        notebook=notebook,
        outs=record.get("outs"),
    )


def build(
    project: Project,
    *,
    run_id: str | None,
    mlflow_parent_run_id: str | None,
    git: dict[str, Any] | None,
    env: dict[str, Any],
    stages: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The lineage document handed to a stage (and stored with every model version)."""
    from ..dag import source_deps

    data = {dep: digest for entry in stages.values() for dep, digest in entry["deps"].items()}
    return {
        "project": project.spec.project,
        "pipeline_run_id": run_id,
        "mlflow_parent_run_id": mlflow_parent_run_id,
        "git": git,
        "environment": {k: env[k] for k in ("python", "packages", "hash")},
        "data": data,  # every file the stages read, by content hash
        # the subset no stage produces: the pipeline's own inputs
        "sources": {d: data[d] for s in stages for d in source_deps(project, s)},
        "stages": stages,
    }
