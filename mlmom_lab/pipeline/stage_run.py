"""Run one stage's notebook with papermill, into the run's folder, never in place."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import StageFailed

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager


def skip_iri_grammar() -> None:
    """Keep jsonschema from compiling an IRI grammar that notebooks never need.

    nbformat validates notebooks with jsonschema, which loads ``rfc3987_syntax`` (a grammar
    compiled at import, ~0.6 s here) only to check IRI-formatted strings; notebooks have
    none, so validation is the same without it. Call before anything imports jsonschema.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _import_papermill() -> ModuleType:
    skip_iri_grammar()
    import papermill

    module: ModuleType = papermill  # untyped: its names are Any
    return module


def execute_stage(
    stage: str,
    notebook: Path,
    output: Path,
    params: dict[str, Any],
    *,
    km: AsyncKernelManager,
    kernel_name: str,
    timeout: float | None,
) -> None:
    """Execute ``notebook`` into ``output`` on the started kernel ``km``.

    Raises :class:`StageFailed` naming the stage, the cell, the exception and the partly
    executed notebook when a cell raises.
    """
    pm = _import_papermill()
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=params,
            kernel_name=kernel_name,
            km=km,
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            report_mode=False,
            request_save_on_cell_execute=True,
        )
    except pm.PapermillExecutionError as exc:
        cell = _user_cell_number(notebook, exc.source)
        where = f"cell {cell} of {notebook.name}" if cell else "the injected parameters cell"
        raise StageFailed(
            f"stage {stage!r} failed in {where}: {exc.ename}: "
            f"{exc.evalue} (partly executed notebook: {output})",
            stage=stage,
            notebook=str(output),
            cell=cell,
            exception=f"{exc.ename}: {exc.evalue}",
        ) from None
    except Exception as exc:  # noqa: BLE001 - a kernel that died or timed out fails the stage
        raise StageFailed(
            f"stage {stage!r} failed: {type(exc).__name__}: {exc} (notebook: {output})",
            stage=stage,
            notebook=str(output),
            exception=f"{type(exc).__name__}: {exc}",
        ) from None
    finally:
        _shutdown(km)


def _user_cell_number(notebook: Path, source: str) -> int | None:
    """1-based number of the failing cell in the user's own notebook.

    Papermill's index counts the cells it inserts, so find the failing source in the user's
    notebook instead; ``None`` when it is not there (the injected parameters cell).
    """
    import json

    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    for number, cell in enumerate(cells, start=1):
        text = cell.get("source", "")
        if ("".join(text) if isinstance(text, list) else text) == source:
            return number
    return None


def _shutdown(km: AsyncKernelManager) -> None:
    from .kernels import shutdown_kernel

    shutdown_kernel(km)
