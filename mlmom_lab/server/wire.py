"""The wire contract of ``/mlmom/api/``, defined once: what the lab sends and what it gets.

Requests are the bodies the lab POSTs (a release's are the release workflow's own models);
answers are what each route returns. Both refuse fields they do not name, so an answer the
core grows without this module is a failing test, not a silent drift. The frontend's types
(``labextension/src/wire/<part>.ts``) are generated in its build from their JSON Schemas
(:mod:`.wire_schema`); a test fails when either is out of date.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..release import requests as release_bodies
from . import wire_base, wire_pipeline

# The release workflow's bodies are this contract's as they are (the serving app takes them too).
Body = release_bodies.Body
CanaryRequest = release_bodies.CanaryRequest
PromoteRequest = release_bodies.PromoteRequest
ReleaseRequest = release_bodies.ReleaseRequest
RollbackRequest = release_bodies.RollbackRequest
ShadowRequest = release_bodies.ShadowRequest


# -- requests -------------------------------------------------------------------------------
class RunRequest(Body):
    """Run the pipeline: all of it, ``stages`` (and what they need), or ``start`` onwards."""

    stages: list[str] = Field(default_factory=list)
    start: str | None = None
    force: bool = False
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)


class WindowRequest(Body):
    """A window of the prediction log for a check or a report (default: the last
    ``monitoring.window`` rows of the champion)."""

    version: str | None = None
    last: int | None = Field(default=None, gt=0)


class DashboardRequest(Body):
    """One of the project's Voilà dashboards."""

    name: Literal["explain", "drift"]


class DecisionRequest(Body):
    """Approve or reject ``version``, saying why."""

    version: str = Field(min_length=1)
    reason: str = Field(min_length=1, description="why: kept in the audit trail")


class Empty(Body):
    """No fields: the route needs nothing but the project."""


# -- answers --------------------------------------------------------------------------------
Answer = wire_base.Answer
Absent = wire_base.Absent
# the pipeline's and the registry's are defined in .wire_pipeline, and are this contract's
AliasEvent = wire_pipeline.AliasEvent
AuditTrail = wire_pipeline.AuditTrail
Comparison = wire_pipeline.Comparison
History = wire_pipeline.History
Pipeline = wire_pipeline.Pipeline
ProjectInfo = wire_pipeline.ProjectInfo
RegistryPage = wire_pipeline.RegistryPage


class Deployment(Answer):
    champion: str | None
    canary: str | None
    canary_weight: float
    shadow: str | None
    seq: int
    updated_at: float
    reason: str
    by: str = Field(description="who made the latest change")


class Worker(Answer):
    """A serving worker's record: the deployment change (seq) it serves, or failed to apply."""

    pid: int
    started: float
    follows: str = Field(description="the state folder whose deployment it follows")
    seq: int | None = Field(description="null while it loads its first deployment")
    failed_seq: int | None
    failed_reason: str
    updated_at: float


class Rollout(Answer):
    seq: int
    done: bool
    seconds: float
    workers: list[Worker]
    live: int
    summary: str


class Release(Deployment):
    """A release: the deployment as written, and how far it reached the workers."""

    rollout: Rollout
    message: str


class ErrorBody(Answer):
    """Every failure: what is wrong, and its code (``internal`` for a bug of ours)."""

    error: str
    code: str
    release: Release | Absent = Field(default=None, description="how far a release got")


class AliasMove(AliasEvent):
    """An alias moved, and the release of what serves when it moved that."""

    release: Release | None


class Traffic(Answer):
    requests: int
    per_second: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None


class RouteTraffic(Traffic):
    version: str
    route: str


class RecentTraffic(Traffic):
    seconds: float
    errors: int
    routes: list[RouteTraffic]


class ServerRecord(Answer):
    """The project's local model server, as recorded when it started."""

    running: bool
    starting: bool | Absent = None
    pid: int | Absent = None
    port: int | Absent = None
    url: str | Absent = None
    started_at: float | Absent = None
    started_by: str | Absent = None


class Server(ServerRecord):
    deployment: Deployment
    workers: list[Worker] = Field(description="every live worker of the project's servers")
    traffic: RecentTraffic


class RouteCounters(Answer):
    version: str
    route: str
    requests: float
    errors: float
    buckets: list[list[float | None]] = Field(
        description="the latency histogram: [upper bound in seconds (null: +Inf), cumulative count]"
    )


class ShadowCounters(Answer):
    version: str
    agree: float
    disagree: float


class MetricsSample(Answer):
    at: float
    routes: list[RouteCounters]
    shadow: list[ShadowCounters]
    unrouted_errors: float = Field(description="refused before a version was chosen")
    in_flight: float


class ServerMetrics(Answer):
    running: bool
    sample: MetricsSample | None


class FeatureDrift(Answer):
    feature: str
    method: str
    score: float
    drifted: bool
    shap_share: list[float] | Absent = Field(  # a pair (json2ts reads no prefixItems)
        default=None,
        min_length=2,
        max_length=2,
        description="share of the mean |SHAP|: training rows, then the window",
    )
    shap_shifted: bool | Absent = None


class Performance(Answer):
    measured: dict[str, float] | Absent = None
    estimated: dict[str, float] | Absent = None
    baseline: dict[str, float] | Absent = None


class Check(Answer):
    ts: float
    model: str
    version: str
    rows: int
    dataset_drift_share: float
    features: list[FeatureDrift] | Absent = None
    performance: Performance
    alerts: list[str]


class Alert(Answer):
    rule: str
    kind: str
    ts: float
    model: str
    version: str
    value: float
    limit: float
    samples: int
    message: str


class LoopStep(Answer):
    ts: float
    state: str
    message: str
    phase: Literal[
        "retrain", "offline comparison", "approval", "canary", "promoted", "rolled back"
    ] = Field(description="how far the loop went in this step")


class Loop(Answer):
    state: Literal["idle", "approval", "canary"]
    canary: str | None
    champion: str | None
    since: float | None
    steps: list[LoopStep] = Field(description="the latest steps, oldest first")


class Monitoring(Answer):
    latest: Check | None
    history: list[Check]
    alerts: list[Alert]
    reports: list[str]
    loop: Loop  # the retraining loop


class LoggedRequest(Answer):
    request_id: str
    ts: float
    version: str
    route: str
    n_rows: int


class LoggedRequests(Answer):
    requests: list[LoggedRequest] = Field(description="newest first")


class Contribution(Answer):
    feature: str
    value: Any = Field(description="the feature's value in the request")
    contribution: float


class RequestExplanation(Answer):
    request_id: str
    row: int
    version: str
    method: str
    output_name: str
    output: float
    base: float
    logged_prediction: Any
    contributions: list[Contribution] = Field(description="largest magnitude first")


class JobStep(Answer):
    status: str
    detail: str
    at: float = Field(description="when the step took this status")
    cells: list[int] | Absent = Field(
        default=None, description="[done, total] code cells of a stage's notebook as it runs"
    )


class Job(Answer):
    id: str
    kind: str
    title: str
    project: str | None
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    stoppable: bool = Field(description="it can be cancelled while it runs, not only queued")
    created: float
    started: float | None
    finished: float | None
    steps: dict[str, JobStep]
    log: list[str] | Absent = Field(default=None, description="from line ?log_from= on")
    log_next: int | Absent = None
    result: Any
    error: ErrorBody | None


class Jobs(Answer):
    jobs: list[Job]


class DashboardPath(Answer):
    path: str | None


class Approval(Answer):
    """A decision on a version: approved or rejected, by whom, when and why."""

    version: str
    status: Literal["pending", "approved", "rejected"]
    who: str
    when: float
    why: str


class ReportFiles(Answer):
    """The result of a drift report job: its files (relative to the lab's root) and where
    MLflow keeps a copy."""

    html: str | None
    json_: str | None = Field(alias="json")  # ``json`` would shadow pydantic's own method
    mlflow: str | None


ANSWERS: tuple[type[Answer], ...] = (
    ErrorBody, ProjectInfo, Pipeline, RegistryPage, History, Comparison, Deployment, Server,
    Monitoring, Jobs, Job, Release, AliasMove, ServerRecord, DashboardPath, Approval,
    AuditTrail, ServerMetrics, LoggedRequests, RequestExplanation,
)  # fmt: skip
REQUESTS: tuple[type[Body], ...] = (
    RunRequest, WindowRequest, DashboardRequest, PromoteRequest, RollbackRequest,
    CanaryRequest, ShadowRequest, ReleaseRequest, DecisionRequest,
)  # fmt: skip


def answer(model: type[Answer], data: Any) -> str:
    """``data`` (what the core returned) checked against the route's answer, as JSON text."""
    return model.model_validate(data).model_dump_json(by_alias=True, exclude_unset=True)


def valid(model: type[Answer], entries: list[Any]) -> list[Any]:
    """The entries of a file on disk (the monitoring history) that ``model`` accepts: a line
    from another version of mlmom is left out, not a reason to fail the whole answer."""
    kept = []
    for entry in entries:
        try:
            model.model_validate(entry)
        except ValueError:  # pydantic's ValidationError
            continue
        kept.append(entry)
    return kept
