"""Lineage: where a result came from (code, data, parameters, environment, executed notebooks)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def git_info(root: Path) -> dict[str, Any] | None:
    """The commit, branch and dirty flag of the git repository holding ``root``, if any."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "."))
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    return {"commit": commit, "branch": branch, "dirty": dirty}


def stage_entry(key: dict[str, Any], *, status: str, run_id: str, mlflow_run_id: str | None,
                executed_notebook: str, notebook: str, outs: dict | None = None) -> dict[str, Any]:
    """What lineage keeps of one stage run."""
    return {
        "notebook": notebook, "notebook_sha256": key["notebook"], "params": key["params"],
        "deps": key["deps"], "outs": outs or {}, "kernel": key["kernel"], "cache_key": key["key"],
        "status": status, "run_id": run_id, "mlflow_run_id": mlflow_run_id,
        "executed_notebook": executed_notebook,
    }


def build(*, project_name: str, run_id: str, mlflow_parent_run_id: str | None,
          git: dict[str, Any] | None, env: dict[str, Any], stages: dict[str, dict[str, Any]],
          data: dict[str, str | None], sources: dict[str, str | None]) -> dict[str, Any]:
    """The lineage document handed to a stage (and stored with every model version)."""
    return {
        "project": project_name,
        "pipeline_run_id": run_id,
        "mlflow_parent_run_id": mlflow_parent_run_id,
        "git": git,
        "environment": {k: env[k] for k in ("python", "packages", "hash")},
        "data": data,        # every file the stages read, by content hash
        "sources": sources,  # the subset no stage produces: the pipeline's own inputs
        "stages": stages,
    }
