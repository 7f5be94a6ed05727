"""The serving ASGI app: Open Inference Protocol v2 and MLflow's scoring protocol, one port.

A bare ASGI callable rather than a framework: the hot path is parse JSON, validate against
the signature, predict, write JSON, and every layer in between costs throughput. Errors are
:class:`~mlmom_lab.errors.MlmomError` subclasses mapped to a status by the shared table and
written as ``{"error": "...", "code": "..."}`` (:func:`~mlmom_lab.errors.error_body`), never a
traceback.

Each request goes through the current :class:`Router` (champion, canary by weight, shadow);
a :class:`Follower` swaps in a new router when the deployment file changes. Every answer is
logged (the prediction log) and counted (``/metrics``); API keys guard all but the probes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import InvalidInput, MlmomError, NotFound, error_body, http_status
from ..predictions.log import PredictionLog
from . import openapi
from .auth import KeyRing, presented_key
from .batching import Answer, Batcher, BatchPolicy
from .follow import Follower
from .http import (
    After,
    Receive,
    Response,
    Scope,
    Send,
    header,
    json_body,
    request_id,
    require_method,
    send_bytes,
    send_json,
)
from .kept import KeptColumns, logged
from .metrics import CONTENT_TYPE, exposition, metrics, worker_exited
from .outputs import Prediction
from .protocols import invocations_response, parse_invocations, parse_v2, v2_response
from .router import Router
from .runtime import Columns, ModelRuntime

if TYPE_CHECKING:
    from ..project import Project
    from .rollout import Release
logger = logging.getLogger("mlmom.serving")
MAX_BODY_BYTES = 8 * 1024 * 1024
PUBLIC = {"/ping", "/health", "/v2/health/live", "/v2/health/ready", "/metrics", "/openapi.json"}
READ_ONLY = {
    "/ping",
    "/health",
    "/v2/health/live",
    "/v2/health/ready",
    "/version",
    "/v2",
    "/openapi.json",
    "/deployment",
    "/metrics",
}  # GET (or HEAD) only: TRACE and the rest get 405
ROUTE_KEY = b"x-mlmom-route-key"  # a header that keeps a caller on one route (sticky canary)
_V2_MODEL = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?$")


class ServingApp:
    """Answers both protocols, routing each request through the current :class:`Router`."""

    def __init__(
        self,
        router: Router,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        follower: Follower | None = None,
        log: PredictionLog | None = None,
        keys: KeyRing | None = None,
        project: Project | None = None,
        batching: BatchPolicy | None = None,
        releases: Callable[[str, Any], Release] | None = None,
    ) -> None:
        self.router = router  # replaced whole when the deployment changes
        self.batching = batching or BatchPolicy()
        self.max_body_bytes = max_body_bytes
        self.follower = follower
        self.log = log
        self.keys = keys or KeyRing()
        self.project = project
        self.releases = releases  # (action, body) -> a Release: the release workflow's own
        self.metrics = metrics()
        for runtime in router.runtimes.values():
            self.metrics.loaded(runtime)
        self.kept = KeptColumns(tuple(project.spec.serving.log.keep) if project else ())
        self.shadow_stats = {"requests": 0, "disagreements": 0}
        self.monitoring = None  # the latest drift check's gauges, once a project is known
        if project is not None:
            from ..monitoring.export import LATEST, MonitoringCollector

            self.monitoring = MonitoringCollector(project.state_dir / "monitoring" / LATEST)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/metrics" and scope["method"] in ("GET", "HEAD"):
            await send_bytes(send, 200, exposition(self.monitoring), CONTENT_TYPE)
            return
        scope["mlmom.started"] = time.perf_counter()
        answer_id = request_id(scope)
        headers: list[tuple[bytes, bytes]] = [(b"x-request-id", answer_id.encode())]
        after = None
        self.metrics.in_flight.inc()
        try:
            self._authorize(scope)
            status, body, more, after = await self._route(scope, receive)
            headers += more
        except MlmomError as exc:
            status, body = http_status(exc), error_body(exc)
            self._count_error(scope, exc.code, status)
        except Exception as exc:  # a bug of ours: logged here, never shown to the caller
            logger.exception("request %s failed", answer_id)
            status, body = 500, error_body(exc, f"request {answer_id}")
            self._count_error(scope, "internal", 500)
        finally:
            self.metrics.in_flight.dec()
        await send_json(send, status, body, headers)
        if after is not None:
            after()  # work the client must not wait for (the shadow's prediction)

    def _count_error(self, scope: Scope, code: str, status: int) -> None:
        served = scope.get("mlmom.served")  # (runtime, route) once the request was routed
        model, version, route = (
            (self.router.champion.name, "", "")
            if served is None
            else (served[0].name, served[0].version, served[1])
        )
        self.metrics.error(code, status, model, version, route)
        path = scope["path"]
        if self.log is not None and (path == "/invocations" or path.endswith("/infer")):
            self.log.record_error(
                model=model, version=version, route=route, code=code, status=status
            )

    def _authorize(self, scope: Scope) -> None:
        path = scope["path"].rstrip("/") or "/"
        if path in PUBLIC:
            return
        needed = "admin" if path.startswith("/deployment") else "predict"
        self.keys.check(presented_key(scope.get("headers", [])), needed)

    async def _route(self, scope: Scope, receive: Receive) -> Response:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path in READ_ONLY:
            require_method(method, "GET")
        if path.startswith("/deployment/"):
            require_method(method, "POST")
            body = await json_body(scope, receive, self.max_body_bytes)
            return 200, await self._release(path.removeprefix("/deployment/"), body), [], None
        if path in ("/ping", "/health"):
            return 200, {"status": "ok"}, [], None
        if path == "/v2/health/live":
            return 200, {"live": True}, [], None
        if path == "/v2/health/ready":
            return 200, await asyncio.to_thread(self._readiness), [], None
        if path == "/version":
            champion = self.router.champion
            return (
                200,
                {"mlmom_lab": __version__, "model": champion.name, "version": champion.version},
                [],
                None,
            )
        if path == "/v2":
            return 200, {"name": "mlmom-lab", "version": __version__, "extensions": []}, [], None
        if path == "/openapi.json":
            champion = self.router.champion
            return 200, openapi.document(champion.name, champion.schema), [], None
        if path == "/deployment":
            return (
                200,
                {
                    **self.router.deployment.as_dict(),
                    "worker": os.getpid(),
                    "shadow_stats": self.shadow_stats,
                },
                [],
                None,
            )
        if path == "/invocations":
            require_method(method, "POST")
            body = await json_body(scope, receive, self.max_body_bytes)
            runtime, route = self.router.pick(header(scope, ROUTE_KEY) or None)
            scope["mlmom.served"] = (runtime, route)
            raw = parse_invocations(body, self.kept.schema(runtime.schema))
            scope["mlmom.kept"] = self.kept.split(raw)
            await self._claim_request_id(scope)
            columns, prediction = await self._predict(runtime, raw)
            await self._log(scope, runtime, route, columns, prediction, "mlflow")
            return (
                200,
                invocations_response(prediction),
                _route_headers(runtime, route),
                self._shadow(scope, columns, prediction),
            )
        if path == "/feedback":
            require_method(method, "POST")
            body = await json_body(scope, receive, self.max_body_bytes)
            return 200, await asyncio.to_thread(self._feedback, body), [], None  # may be remote
        match = _V2_MODEL.match(path)
        if match:
            return await self._v2_model(method, match, scope, receive)
        raise NotFound(f"no route {path}")

    async def _v2_model(
        self, method: str, match: re.Match[str], scope: Scope, receive: Receive
    ) -> Response:
        name, version, action = match.groups()
        champion = self.router.champion
        if name != champion.name:
            raise NotFound(f"unknown model {name!r} (serving {champion.name!r})")
        pinned = self.router.version(version) if version is not None else None
        if action == "/infer":
            require_method(method, "POST")
            body = await json_body(scope, receive, self.max_body_bytes)
            return await self._infer(scope, body, pinned)
        require_method(method, "GET")
        if action == "/ready":
            return 200, {"name": name, "ready": True}, [], None
        return 200, self._metadata(pinned or champion), [], None

    def _readiness(self) -> dict[str, Any]:
        """Ready, with the generation this worker serves and, for a project's server, what
        every live worker of the project serves (a release is live when they all agree)."""
        answer: dict[str, Any] = {
            "ready": True,
            "worker": os.getpid(),
            "seq": self.router.deployment.seq,
        }
        if self.project is not None:
            from .rollout import live_workers

            answer["workers"] = [w.as_dict() for w in live_workers(self.project.state_dir)]
        return answer

    def _metadata(self, runtime: ModelRuntime) -> dict[str, Any]:
        versions = sorted(self.router.deployment.versions, key=int)
        return {
            "name": runtime.name,
            "versions": versions,
            "platform": "mlmom-lab",
            "inputs": [c.as_v2() for c in runtime.schema.columns],
            "outputs": runtime.outputs.as_v2() if runtime.outputs else [],  # set when loaded
        }

    async def _infer(self, scope: Scope, body: Any, pinned: ModelRuntime | None) -> Response:
        key = header(scope, ROUTE_KEY) or None
        runtime, route = (pinned, "pinned") if pinned else self.router.pick(key)
        scope["mlmom.served"] = (runtime, route)
        request = parse_v2(body, self.kept.schema(runtime.schema))
        scope["mlmom.kept"] = self.kept.split(request.columns)
        await self._claim_request_id(scope)
        columns, prediction = await self._predict(runtime, request.columns)
        answer = v2_response(
            prediction,
            model=runtime.name,
            version=runtime.version,
            request_id=request.id,
            outputs=request.outputs,
        )
        await self._log(scope, runtime, route, columns, prediction, "v2")
        return 200, answer, _route_headers(runtime, route), self._shadow(scope, columns, prediction)

    async def _claim_request_id(self, scope: Scope) -> None:
        """A request id the client chose names one logged request only (409 on reuse)."""
        if self.log is not None and scope["mlmom.client_id"]:
            await asyncio.to_thread(self.log.check_new, scope["mlmom.request_id"])

    def _predict(self, runtime: ModelRuntime, raw: dict[str, Any]) -> Awaitable[Answer]:
        """Validated columns and the prediction, via the version's micro-batcher."""
        if runtime.batcher is None:  # one per version, made by the worker that serves it
            runtime.batcher = Batcher(runtime, self.batching)
        return runtime.batcher.predict(raw)

    async def _log(
        self,
        scope: Scope,
        runtime: ModelRuntime,
        route: str,
        columns: Columns,
        prediction: Prediction,
        protocol: str,
    ) -> None:
        """Count the prediction in the metrics and queue it for the prediction log."""
        seconds = time.perf_counter() - scope["mlmom.started"]
        self.metrics.observe(runtime, route, protocol, seconds, prediction)
        if self.log is None:
            return
        done = self.log.record(
            request_id=scope["mlmom.request_id"],
            model=runtime.name,
            version=runtime.version,
            route=route,
            columns=logged(columns, scope["mlmom.kept"]),
            outputs=_outputs(prediction),
            latency_ms=seconds * 1000,
        )
        if done is not None:  # durability: safe
            await asyncio.wrap_future(done)

    async def _release(self, action: str, body: Any) -> dict[str, Any]:
        """A deployment change over HTTP (admin scope), answered once every worker serves it
        (504 naming the workers that lag when ``timeout`` seconds pass first)."""
        if self.releases is None:
            raise NotFound(
                "this server serves one exported version: release a new one "
                "with a new image (or KServe's canary), not here"
            )
        # off the event loop: this very worker follows the change on it meanwhile
        release = await asyncio.to_thread(self.releases, action, body)
        return release.as_dict()

    def _feedback(self, body: Any) -> dict[str, Any]:
        if self.log is None:
            raise NotFound("this server keeps no prediction log")
        if not isinstance(body, dict):
            raise InvalidInput("the body must be an object with 'labels'")
        return {"accepted": self.log.add_feedback(body.get("labels"))}

    def _shadow(self, scope: Scope, columns: Columns, served: Prediction) -> After | None:
        """The shadow's prediction on the same rows, once the answer is on its way."""
        shadow = self.router.shadow()
        if shadow is None:
            return None

        def compare() -> None:
            try:
                theirs = shadow.predict(columns)
            except Exception:  # noqa: BLE001 - a shadow never affects the served traffic
                return
            agree = theirs.values.tolist() == served.values.tolist()
            self.shadow_stats["requests"] += 1
            self.shadow_stats["disagreements"] += not agree
            self.metrics.shadow.labels(
                shadow.name, shadow.version, "agree" if agree else "disagree"
            ).inc()
            if self.log is not None:
                self.log.record(
                    request_id=scope["mlmom.request_id"] + ":shadow",
                    model=shadow.name,
                    version=shadow.version,
                    route="shadow",
                    columns=logged(columns, scope["mlmom.kept"]),
                    outputs=_outputs(theirs),
                    latency_ms=0.0,
                )

        return compare


def _outputs(prediction: Prediction) -> dict[str, Any]:
    out = {"predict": prediction.values}
    if prediction.probabilities is not None:
        out["predict_proba"] = prediction.probabilities
    return out


def _route_headers(runtime: ModelRuntime, route: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-mlmom-version", runtime.version.encode()), (b"x-mlmom-route", route.encode())]


async def _lifespan(receive: Receive, send: Send, app: ServingApp) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if app.follower is not None:
                app.follower.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if app.follower is not None:
                await app.follower.stop()
            if app.log is not None:
                app.log.close()  # graceful shutdown: everything queued is written
            worker_exited()
            await send({"type": "lifespan.shutdown.complete"})
            return
