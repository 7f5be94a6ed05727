"""The routes under ``/mlmom/api/``: one handler per concern, each a single core call.

Reads are GET (action ``read``); :mod:`.actions` holds the POST routes that change something
or start a job. ``jobs`` and ``jobs/<id>`` let the lab poll a job's progress and log.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from ..errors import InvalidRequest
from . import wire
from .actions import ACTIONS
from .base import HtmlPage, MlmomHandler, allowed, read_only

PAGE = 100  # registry versions per page unless ?limit= says otherwise
MAX_PAGE = 1000  # a bigger ?limit= is refused: page instead


class ReadHandler(MlmomHandler):
    """GET answers ``read(project)`` for the project of ``?path=``, off the event loop, as
    its ``answer`` model."""

    answer: type[wire.Answer] | None = None  # None: an HtmlPage

    def read(self, project) -> Any:
        raise NotImplementedError

    @read_only
    async def get(self) -> None:
        await self.respond(lambda: self.read(self.project()), answer=self.answer)


class ProjectHandler(ReadHandler):
    answer = wire.ProjectInfo

    def read(self, project):
        spec = project.spec
        return {
            "project": spec.project,
            "model": spec.model,
            "description": spec.description,
            "root": self.relative(project, project.root),
            "stages": list(spec.stages),
        }


class PipelineHandler(ReadHandler):
    answer = wire.Pipeline

    def read(self, project):
        from .. import dag
        from ..pipeline.executed import executed_runs
        from ..pipeline.status import pipeline_status

        graph = dag.upstream(project)
        stages = []
        for s in pipeline_status(project):
            runs = [
                {"run_id": run_id, "notebook": self.relative(project, path)}
                for run_id, path in executed_runs(project, s.stage)
            ]
            stages.append(
                {
                    **s.as_dict(),
                    "needs": sorted(graph[s.stage]),
                    "params": _typed(project.spec.stages[s.stage].params),
                    "runs": runs,
                    "notebook": self.relative(
                        project, project.root / project.spec.stages[s.stage].notebook
                    ),
                    "executed_notebook": self.relative(project, s.executed_notebook),
                }
            )
        return {"stages": stages}


def _typed(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A stage's parameters with their types, which JSON loses (``0.0`` reads as ``0``)."""
    types = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
    return [
        {"name": k, "value": v, "type": types.get(type(v), "null" if v is None else "str")}
        for k, v in params.items()
    ]


class ExecutedNotebookHandler(ReadHandler):
    """``?run=&stage=``: that run's executed notebook as a read-only, sandboxed HTML page."""

    def read(self, project):
        from ..pipeline.executed import executed_notebook, render_html

        run, stage = (self.get_query_argument(k, "") for k in ("run", "stage"))
        return HtmlPage(render_html(executed_notebook(project, run, stage)))


class RegistryHandler(ReadHandler):
    """One page of versions, newest first (``?limit=``), just older than ``?before=`` or
    newer than ``?after=`` a version number, with the total."""

    answer = wire.RegistryPage

    def read(self, project):
        from ..registry.paging import page_versions

        before, after = (
            self.int_argument(k, 0, low=1) if self.get_query_argument(k, "") else None
            for k in ("before", "after")
        )
        limit = self.int_argument("limit", PAGE, low=1)
        if limit > MAX_PAGE:
            raise InvalidRequest(f"?limit= may be at most {MAX_PAGE}, not {limit}")
        return page_versions(project, limit=limit, before=before, after=after).as_dict()


class HistoryHandler(ReadHandler):
    answer = wire.History

    def read(self, project):
        from ..registry.aliases import history

        return {"events": [e.as_dict() for e in reversed(history(project=project))]}


class AuditHandler(ReadHandler):
    """``?limit=``: the newest events of the audit trail (100 by default)."""

    answer = wire.AuditTrail

    def read(self, project):
        from ..audit import trail

        events = trail(project)
        limit = self.int_argument("limit", 100, low=1)
        return {"events": [e.as_dict() for e in reversed(events[-limit:])], "total": len(events)}


class CardHandler(ReadHandler):
    """``?version=``: the version's model card as a self-contained, sandboxed HTML page."""

    def read(self, project):
        from ..cards import html

        version = self.get_query_argument("version", "")
        if not version:
            raise InvalidRequest("the model card needs a version: ?version=...")
        return HtmlPage(html(project, version))


class CompareHandler(ReadHandler):
    """``?versions=3,7,9``: two or more versions (or aliases) side by side, oldest first."""

    answer = wire.Comparison

    def read(self, project):
        from ..registry.compare import compare_versions

        refs = [r.strip() for r in self.get_query_argument("versions", "").split(",")]
        if len([r for r in refs if r]) < 2:
            raise InvalidRequest("compare needs two versions or more: ?versions=1,2")
        return compare_versions([r for r in refs if r], project=project)


class DeploymentHandler(ReadHandler):
    answer = wire.Deployment

    def read(self, project):
        from ..serving import deployment

        return deployment.current(project).as_dict()


class ServerHandler(ReadHandler):
    """The local model server (running, port, URL), the change each of the project's server
    workers serves, and the traffic over the last minute."""

    answer = wire.Server

    def read(self, project):
        from ..predictions.traffic import recent_traffic
        from ..serving import deployment, local_server
        from ..serving.rollout import live_workers

        return {
            **local_server.status(project),
            "deployment": deployment.current(project).as_dict(),
            "workers": [w.as_dict() for w in live_workers(project.state_dir)],
            "traffic": recent_traffic(project.prediction_log_uri, 60.0),
        }


class ServerMetricsHandler(ReadHandler):
    """One reading of the local model server's ``/metrics``: the lab's deployment charts
    take rates between readings. ``sample`` is null while no server answers."""

    answer = wire.ServerMetrics

    def read(self, project):
        from ..serving import local_server
        from ..serving.scrape import scrape

        state = local_server.status(project)
        if not state.get("running"):
            return {"running": False, "sample": None}
        try:
            return {"running": True, "sample": scrape(state["url"])}
        except OSError:  # stopped between the two questions
            return {"running": False, "sample": None}


class MonitoringHandler(ReadHandler):
    answer = wire.Monitoring

    def read(self, project):
        from dataclasses import asdict

        from ..monitoring import loop_state
        from ..monitoring.alerts import history
        from ..monitoring.export import read_history, read_latest

        reports = sorted((project.state_dir / "reports").glob("*.html"))[-5:]
        latest = wire.valid(wire.Check, [read_latest(project.state_dir)])
        return {
            "latest": latest[0] if latest else None,
            "history": wire.valid(wire.Check, read_history(project.state_dir))[-50:],
            "alerts": [asdict(a) for a in history(project.prediction_log_uri, 20)],
            "reports": [self.relative(project, p) for p in reversed(reports)],
            "loop": loop_state.view(project),
        }


class LoggedRequestsHandler(ReadHandler):
    """``?limit=``: the newest logged requests of the project's model (20 by default)."""

    answer = wire.LoggedRequests

    def read(self, project):
        from ..explain.local import recent_requests

        limit = self.int_argument("limit", 20, low=1)
        if limit > MAX_PAGE:
            raise InvalidRequest(f"?limit= may be at most {MAX_PAGE}, not {limit}")
        return {"requests": recent_requests(project, project.spec.model, limit=limit)}


class RequestExplanationHandler(ReadHandler):
    """``?id=&row=``: one row of a logged request explained by SHAP, by the version that
    answered it."""

    answer = wire.RequestExplanation

    def read(self, project):
        from ..explain import explain_request

        request_id = self.get_query_argument("id", "")
        if not request_id:
            raise InvalidRequest("explain needs a logged request: ?id=...")
        row = self.int_argument("row", 0, low=0)
        found = explain_request(project, request_id, row=row, methods=("shap",))
        shap = found.explanations["shap"]
        return {
            "request_id": request_id,
            "row": row,
            "version": found.version,
            "method": shap.method,
            "output_name": shap.output_name,
            "output": shap.output,
            "base": shap.base,
            "logged_prediction": found.logged_prediction,
            "contributions": [
                {"feature": name, "value": found.inputs.get(name), "contribution": value}
                for name, value in shap.ranked()
            ],
        }


class JobsHandler(ReadHandler):
    """The project's jobs, newest first, without their logs."""

    answer = wire.Jobs

    def read(self, project):
        return {
            "jobs": [
                {k: v for k, v in job.as_dict().items() if k != "log"}
                for job in self.jobs.list(str(project.root))[:20]
            ]
        }


class JobStatusHandler(MlmomHandler):
    """One job: status, steps, result or error, and its log from line ``?log_from=``."""

    @read_only
    async def get(self, job_id: str) -> None:
        def work():
            log_from = self.int_argument("log_from", 0)
            return self.jobs.get(job_id).as_dict(log_from)

        await self.respond(work, answer=wire.Job)


class JobCancelHandler(MlmomHandler):
    """Cancel a job: a queued one at once, a running pipeline run at its next step (its
    kernels stopped, its MLflow runs ended KILLED); other running jobs cannot be stopped."""

    @allowed("execute")
    async def post(self, job_id: str) -> None:
        def work():
            job = self.jobs.get(job_id)
            job.cancel()
            return job.as_dict()

        await self.respond(work, answer=wire.Job)


READS = {
    "project": ProjectHandler,
    "pipeline": PipelineHandler,
    "pipeline/executed": ExecutedNotebookHandler,
    "registry": RegistryHandler,
    "registry/history": HistoryHandler,
    "registry/compare": CompareHandler,
    "audit": AuditHandler,
    "registry/card": CardHandler,
    "deployment": DeploymentHandler,
    "server": ServerHandler,
    "server/metrics": ServerMetricsHandler,
    "monitoring": MonitoringHandler,
    "monitoring/requests": LoggedRequestsHandler,
    "explain/request": RequestExplanationHandler,
    "jobs": JobsHandler,
}


def setup_handlers(web_app) -> None:
    from ..jobs import Jobs

    web_app.settings.setdefault("mlmom_jobs", Jobs())
    base = url_path_join(web_app.settings["base_url"], "mlmom", "api")
    routes: list[tuple[Any, ...]] = [
        (url_path_join(base, name), handler) for name, handler in READS.items()
    ]
    routes += [
        (url_path_join(base, name), handler, kwargs) for name, (handler, kwargs) in ACTIONS.items()
    ]
    routes.append((url_path_join(base, "jobs", r"([\w-]+)"), JobStatusHandler))
    routes.append((url_path_join(base, "jobs", r"([\w-]+)", "cancel"), JobCancelHandler))
    web_app.add_handlers(".*$", routes)
