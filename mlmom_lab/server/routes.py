"""The routes under ``/mlmom/api/``: one handler per concern, each a single core call."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .base import MlmomHandler, read_only


class ProjectHandler(MlmomHandler):
    @read_only
    async def get(self) -> None:
        def work():
            project = self.project()
            spec = project.spec
            return {"project": spec.project, "model": spec.model,
                    "description": spec.description, "root": self.relative(project, project.root),
                    "stages": list(spec.stages)}

        await self.respond(work)


class PipelineHandler(MlmomHandler):
    @read_only
    async def get(self) -> None:
        def work():
            from ..pipeline.status import pipeline_status

            return {"stages": [s.as_dict() for s in pipeline_status(self.project())]}

        await self.respond(work)


class RegistryHandler(MlmomHandler):
    @read_only
    async def get(self) -> None:
        def work():
            from .. import registry

            project = self.project()
            return {"model": project.spec.model,
                    "versions": [v.as_dict() for v in registry.list_versions(project=project)]}

        await self.respond(work)


class DeploymentHandler(MlmomHandler):
    @read_only
    async def get(self) -> None:
        def work():
            from ..serving import deployment

            return deployment.current(self.project()).as_dict()

        await self.respond(work)


class MonitoringHandler(MlmomHandler):
    @read_only
    async def get(self) -> None:
        def work():
            from dataclasses import asdict

            from ..monitoring.alerts import history
            from ..monitoring.export import read_latest

            project = self.project()
            return {"latest": read_latest(project.state_dir),
                    "alerts": [asdict(a) for a in history(project.prediction_log_uri, 20)]}

        await self.respond(work)


ROUTES = {"project": ProjectHandler, "pipeline": PipelineHandler, "registry": RegistryHandler,
          "deployment": DeploymentHandler, "monitoring": MonitoringHandler}


def setup_handlers(web_app) -> None:
    base = url_path_join(web_app.settings["base_url"], "mlmom", "api")
    web_app.add_handlers(".*$", [(url_path_join(base, name), handler)
                                 for name, handler in ROUTES.items()])
