"""The routes that change something: POST only, each authorized for ``write`` or ``execute``.

Quick changes (an alias, a canary weight) answer with their result; a release answers once
every running server worker serves it. Long work (a pipeline run, starting the model server,
a check or a report) answers 202 with a job to poll at ``jobs/<id>``.
"""

from __future__ import annotations

from typing import Any

from ..errors import Busy
from ..release.requests import parse
from . import wire
from .base import MlmomHandler, allowed


class ActionHandler(MlmomHandler):
    """POST answers ``act(project, body)``, the body parsed as ``body_type``."""

    body_type: type[wire.Body] = wire.Empty
    answer: type[wire.Answer] = wire.Job  # a job's, unless the action answers at once
    status = 200

    def act(self, project, body) -> Any:
        raise NotImplementedError

    async def _post(self) -> None:
        def work():
            body = parse(self.body_type, self.request.body)
            return self.act(self.project(), body)

        await self.respond(work, self.status, answer=self.answer)


class WriteHandler(ActionHandler):
    @allowed("write")
    async def post(self) -> None:
        await self._post()


class JobHandler(ActionHandler):
    """Starts a job: ``act`` returns it; the answer is 202 and the job."""

    status = 202

    @allowed("execute")
    async def post(self) -> None:
        await self._post()

    def submit(
        self, project, kind: str, title: str, work, exclusive: bool = False, stoppable=False
    ):
        root = str(project.root)
        exclusive_key = f"{kind}:{root}" if exclusive else None
        job = self.jobs.submit(
            kind, title, work, project=root, exclusive=exclusive_key, stoppable=stoppable
        )
        return job.as_dict()


# -- pipeline -------------------------------------------------------------------------------
class RunHandler(JobHandler):
    body_type = wire.RunRequest

    def act(self, project, body: wire.RunRequest):
        from .. import dag
        from ..jobs import JobReporter
        from ..pipeline.params import resolve
        from ..pipeline.runner import run_pipeline

        dag.select(project, body.stages, body.start)  # an unknown stage or parameter:
        resolve(project.spec.stages, body.params)  # 4xx now, not a failed job
        what = (f"from {body.start}" if body.start else ", ".join(body.stages)) or "all stages"

        def work(job):
            result = run_pipeline(
                project,
                body.stages,
                force=body.force,
                start=body.start,
                overrides=body.params,
                reporter=JobReporter(job),
                cancel=job.cancel_requested,
                who=self.who,
            )
            return {
                **result.as_dict(),
                "executed": {
                    s.stage: self.relative(project, s.executed_notebook)
                    for s in result.stages
                    if getattr(s, "executed_notebook", None)
                },
            }

        return self.submit(
            project, "pipeline", f"pipeline run ({what})", work, exclusive=True, stoppable=True
        )


# -- registry -------------------------------------------------------------------------------
class PromoteHandler(WriteHandler):
    body_type = wire.PromoteRequest
    answer = wire.AliasMove

    def act(self, project, body: wire.PromoteRequest):
        from .. import release

        return release.assign(
            body.version,
            alias=body.alias,
            reason=body.reason,
            project=project,
            who=self.who,
            timeout=body.timeout,
        ).as_dict()


class RollbackHandler(WriteHandler):
    body_type = wire.RollbackRequest
    answer = wire.AliasMove

    def act(self, project, body: wire.RollbackRequest):
        from .. import release

        return release.revert(
            alias=body.alias,
            reason=body.reason,
            project=project,
            who=self.who,
            timeout=body.timeout,
        ).as_dict()


class DecisionHandler(WriteHandler):
    """``registry/approve`` and ``registry/reject``: a 403 with the reason when four eyes
    (``governance.four_eyes``) refuses the Jupyter user."""

    body_type = wire.DecisionRequest
    answer = wire.Approval

    def initialize(self, decision: str) -> None:
        self.decision = decision

    def act(self, project, body: wire.DecisionRequest):
        from ..registry import approvals

        decide = approvals.approve if self.decision == "approve" else approvals.reject
        return decide(body.version, body.reason, project=project, who=self.who).as_dict()


# -- deployment -----------------------------------------------------------------------------
def _reason(body, default: str) -> str:
    return f"{body.reason or default} (in the lab)"


class CanaryHandler(WriteHandler):
    body_type = wire.CanaryRequest
    answer = wire.Release

    def act(self, project, body: wire.CanaryRequest):
        from .. import release

        return release.canary(
            project,
            body.version,
            body.weight,
            reason=_reason(body, "canary"),
            who=self.who,
            timeout=body.timeout,
        ).as_dict()


class ShadowHandler(WriteHandler):
    body_type = wire.ShadowRequest
    answer = wire.Release

    def act(self, project, body: wire.ShadowRequest):
        from .. import release

        return release.shadow(
            project,
            body.version,
            reason=_reason(body, "shadow"),
            who=self.who,
            timeout=body.timeout,
        ).as_dict()


class ReleaseHandler(WriteHandler):
    """``deployment/<promote|rollback|clear>`` of the canary (and shadow)."""

    body_type = wire.ReleaseRequest
    answer = wire.Release

    def initialize(self, step: str) -> None:
        self.step = step

    def act(self, project, body: wire.ReleaseRequest):
        from .. import release

        change = getattr(release, self.step)
        return change(
            project, reason=_reason(body, self.step), who=self.who, timeout=body.timeout
        ).as_dict()


class ServerStartHandler(JobHandler):
    def act(self, project, body):
        from ..serving import deployment, local_server

        deployment.current(project)  # no champion, or a server already running:
        if local_server.status(project)["running"]:  # 4xx now, not a failed job
            raise Busy(f"the server of {project.spec.project} already runs: stop it first")
        who, settings = self.who, self.settings.get("mlmom_serving")
        return self.submit(
            project,
            "server",
            "start the model server",
            lambda job: local_server.start(project, who=who, settings=settings),
            exclusive=True,
        )


class ServerStopHandler(WriteHandler):
    answer = wire.ServerRecord

    def act(self, project, body):
        from ..serving import local_server

        return local_server.stop(project)


# -- monitoring -----------------------------------------------------------------------------
class CheckHandler(JobHandler):
    body_type = wire.WindowRequest

    def act(self, project, body: wire.WindowRequest):
        from ..monitor_check import run_check

        def work(job):
            result = run_check(project, version=body.version, last=body.last, explain=True)
            return {**result.drift.as_dict(), "alerts": [a.rule for a in result.alerts]}

        return self.submit(project, "check", "monitoring check", work, exclusive=True)


class ReportHandler(JobHandler):
    body_type = wire.WindowRequest

    def act(self, project, body: wire.WindowRequest):
        from ..errors import NotFound
        from ..monitoring.report import write_report
        from ..monitoring.windows import load_window

        def work(job):
            window = load_window(
                project, version=body.version, last=body.last or project.spec.monitoring.window
            )
            if window.rows == 0:
                raise NotFound(
                    f"no logged predictions of version {window.version} yet: serve "
                    "the model and send traffic first"
                )
            job.write(f"Evidently report of {window.rows} rows of version {window.version}")
            files = write_report(project, window, project.state_dir / "reports")
            return {
                "html": self.relative(project, files.html),
                "json": self.relative(project, files.json),
                "mlflow": files.mlflow_path,
            }

        return self.submit(project, "report", "drift report", work, exclusive=True)


# -- dashboards -----------------------------------------------------------------------------
class DashboardHandler(WriteHandler):
    """The path of a Voilà dashboard in the project, copied there first if it is missing."""

    body_type = wire.DashboardRequest
    answer = wire.DashboardPath

    def act(self, project, body: wire.DashboardRequest):
        from ..dashboards.files import ensure_dashboards

        path = ensure_dashboards(project.root) / f"{body.name}.ipynb"
        return {"path": self.relative(project, path)}


ACTIONS = {
    "pipeline/run": (RunHandler, {}),
    "registry/promote": (PromoteHandler, {}),
    "registry/rollback": (RollbackHandler, {}),
    "registry/approve": (DecisionHandler, {"decision": "approve"}),
    "registry/reject": (DecisionHandler, {"decision": "reject"}),
    "deployment/canary": (CanaryHandler, {}),
    "deployment/shadow": (ShadowHandler, {}),
    **{
        f"deployment/{step}": (ReleaseHandler, {"step": step})
        for step in ("promote", "rollback", "clear")
    },
    "server/start": (ServerStartHandler, {}),
    "server/stop": (ServerStopHandler, {}),
    "monitoring/check": (CheckHandler, {}),
    "monitoring/report": (ReportHandler, {}),
    "dashboards/open": (DashboardHandler, {}),
}
