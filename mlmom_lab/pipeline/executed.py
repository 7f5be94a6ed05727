"""The executed notebooks that runs leave in ``.mlmom/runs/<run id>/<stage>.ipynb``: listing
them, and rendering one as a read-only HTML page (a record of what ran, not a notebook to edit;
JupyterLab will not open it in place either, as ``.mlmom`` is hidden from its contents API)."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InvalidRequest, NotFound
from ..project import Project

RUN_ID = re.compile(r"[\w-]{1,100}")


def executed_runs(project: Project, stage: str, limit: int = 10) -> list[tuple[str, Path]]:
    """``(run id, executed notebook)`` of the stage's latest runs, newest first; a failed run
    leaves its partly executed notebook too."""
    found = sorted(
        project.runs_dir.glob(f"*/{stage}.ipynb"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    return [(path.parent.name, path) for path in found[:limit]]


def notebook_path(project: Project, run_id: str, stage: str) -> Path:
    """Where run ``run_id`` writes the executed notebook of ``stage``."""
    return project.runs_dir / run_id / f"{stage}.ipynb"


def executed_notebook(project: Project, run_id: str, stage: str) -> Path:
    """The executed notebook of ``stage`` in run ``run_id``; a name that is not a run id or a
    stage of the project is refused before any path is built from it."""
    if stage not in project.spec.stages:
        raise InvalidRequest(
            f"no stage {stage!r} in {project.spec.project} "
            f"(stages: {', '.join(project.spec.stages)})"
        )
    if not RUN_ID.fullmatch(run_id):
        raise InvalidRequest(f"{run_id!r} is not a run id")
    path = notebook_path(project, run_id, stage)
    if not path.is_file():
        raise NotFound(f"run {run_id} has no executed notebook of stage {stage!r}")
    return path


def render_html(path: Path) -> str:
    """The notebook with its outputs as one HTML page (nbconvert's lab template)."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(path, 4))
    return body
