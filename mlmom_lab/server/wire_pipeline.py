"""The answers about the project's pipeline and registry (see :mod:`.wire`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .wire_base import Answer


class ProjectInfo(Answer):
    project: str
    model: str
    description: str
    root: str | None
    stages: list[str]


class ExecutedRun(Answer):
    run_id: str
    notebook: str | None


class StageParam(Answer):
    name: str
    value: Any
    type: Literal["int", "float", "bool", "str", "list", "dict", "null"] = Field(
        description="the spec value's type: an override must keep it (an int may stand for a float)"
    )


class Stage(Answer):
    stage: str
    fresh: bool
    reasons: list[str]
    summary: str = Field(description="the reasons in a few words: '12 packages changed'")
    params: list[StageParam] = Field(description="the spec's parameters, in its order")
    last_run: str | None
    executed_notebook: str | None
    notebook: str | None
    needs: list[str]
    runs: list[ExecutedRun] = Field(description="the latest runs' executed notebooks, newest first")


class Pipeline(Answer):
    stages: list[Stage]


class Version(Answer):
    name: str
    version: str
    aliases: list[str]
    created: int
    run_id: str | None
    source: str
    task: str
    metrics: dict[str, float]
    onnx: dict[str, Any]
    lineage: dict[str, str]
    description: str
    explain: dict[str, str]
    kind: str
    refuses_gaps: list[str]
    gate: dict[str, Any] = Field(description="the last quality gate's result, {} before one")
    approval: dict[str, Any] = Field(description="status, who, when, why; {} while pending")
    registered_by: str
    uri: str


class RegistryPage(Answer):
    model: str
    total: int
    newer: bool = Field(description="versions newer than the first shown exist")
    older: bool = Field(description="versions older than the last shown exist")
    versions: list[Version]


class AliasEvent(Answer):
    alias: str
    from_version: str | None
    to_version: str | None
    action: str
    who: str
    when: float
    reason: str


class History(Answer):
    events: list[AliasEvent]


class AuditEvent(Answer):
    """One thing that happened to the model (see :mod:`mlmom_lab.audit`)."""

    when: float
    kind: Literal[
        "registration", "gate", "approval", "alias", "deployment", "alert", "retraining",
        "erasure",
    ]  # fmt: skip
    who: str
    what: str
    why: str
    version: str | None


class AuditTrail(Answer):
    events: list[AuditEvent] = Field(description="newest first, at most ?limit=")
    total: int


class CompareRow(Answer):
    key: str
    values: list[Any] = Field(description="each version's value, oldest version first")
    same: bool


class Comparison(Answer):
    name: str
    versions: list[Version] = Field(description="oldest first")
    metrics: list[CompareRow]
    params: list[CompareRow]
    data: list[CompareRow]
    lineage: list[CompareRow]
    onnx: list[CompareRow]
