"""The routes under ``/mlmom/api/``: one handler per concern, each a single core call."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .base import MlmomHandler, read_only


class ReadHandler(MlmomHandler):
    """GET answers ``read(project)`` for the project of ``?path=``, off the event loop."""

    def read(self, project) -> Any:
        raise NotImplementedError

    @read_only
    async def get(self) -> None:
        await self.respond(lambda: self.read(self.project()))


class ProjectHandler(ReadHandler):
    def read(self, project):
        spec = project.spec
        return {"project": spec.project, "model": spec.model, "description": spec.description,
                "root": self.relative(project, project.root), "stages": list(spec.stages)}


class PipelineHandler(ReadHandler):
    def read(self, project):
        from ..pipeline.status import pipeline_status

        return {"stages": [s.as_dict() for s in pipeline_status(project)]}


class RegistryHandler(ReadHandler):
    def read(self, project):
        from .. import registry

        return {"model": project.spec.model,
                "versions": [v.as_dict() for v in registry.list_versions(project=project)]}


class DeploymentHandler(ReadHandler):
    def read(self, project):
        from ..serving import deployment

        return deployment.current(project).as_dict()


class MonitoringHandler(ReadHandler):
    def read(self, project):
        from dataclasses import asdict

        from ..monitoring.alerts import history
        from ..monitoring.export import read_latest

        return {"latest": read_latest(project.state_dir),
                "alerts": [asdict(a) for a in history(project.prediction_log_uri, 20)]}


ROUTES = {"project": ProjectHandler, "pipeline": PipelineHandler, "registry": RegistryHandler,
          "deployment": DeploymentHandler, "monitoring": MonitoringHandler}


def setup_handlers(web_app) -> None:
    base = url_path_join(web_app.settings["base_url"], "mlmom", "api")
    web_app.add_handlers(".*$", [(url_path_join(base, name), handler)
                                 for name, handler in ROUTES.items()])
