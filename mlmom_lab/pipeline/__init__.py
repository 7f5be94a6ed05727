"""Spec -> DAG, papermill execution, the content-addressed stage cache, lineage."""

from .results import RunResult, StageResult
from .runner import run_pipeline
from .status import StageStatus, pipeline_status

__all__ = ["RunResult", "StageResult", "StageStatus", "pipeline_status", "run_pipeline"]
