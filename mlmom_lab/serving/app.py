"""The serving ASGI app: Open Inference Protocol v2 and MLflow's scoring protocol, one port.

A bare ASGI callable rather than a framework: the hot path is parse JSON, validate against
the signature, predict, write JSON, and every layer in between costs throughput. Errors are
:class:`~mlmom_lab.errors.MlmomError` subclasses mapped to a status by the shared table and
written as ``{"error": "..."}``, never a traceback.

This first version serves one model version (the champion by default); the router for
canary and shadow releases, the prediction log, metrics and auth come next (issue 4).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Awaitable, Callable

from .. import __version__
from ..errors import (InvalidInput, MethodNotAllowed, MlmomError, NotFound, PayloadTooLarge,
                      UnsupportedMediaType, http_status)
from .protocols import invocations_response, parse_invocations, parse_v2, v2_response
from .runtime import ModelRuntime

MAX_BODY_BYTES = 8 * 1024 * 1024
_V2_MODEL = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?$")

Send = Callable[[dict], Awaitable[None]]


class ServingApp:
    """Answers both protocols for one loaded :class:`ModelRuntime`."""

    def __init__(self, runtime: ModelRuntime, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.runtime = runtime
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, body = await self._route(scope, receive)
        except MlmomError as exc:
            status, body = http_status(exc), {"error": exc.message}
        await _send_json(send, status, body)

    async def _route(self, scope: dict, receive) -> tuple[int, Any]:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path in ("/ping", "/health", "/v2/health/live", "/v2/health/ready"):
            return 200, {"status": "ok"} if path != "/v2/health/live" else {"live": True}
        if path == "/version":
            return 200, {"mlmom_lab": __version__, "model": self.runtime.name,
                         "version": self.runtime.version}
        if path == "/v2":
            return 200, {"name": "mlmom-lab", "version": __version__, "extensions": []}
        if path == "/invocations":
            _require(method, "POST")
            return 200, self._invocations(await _json_body(scope, receive, self.max_body_bytes))
        match = _V2_MODEL.match(path)
        if match:
            return await self._v2_model(method, match, scope, receive)
        raise NotFound(f"no route {path}")

    async def _v2_model(self, method: str, match, scope: dict, receive) -> tuple[int, Any]:
        name, version, action = match.groups()
        self._check_model(name, version)
        if action == "/infer":
            _require(method, "POST")
            body = await _json_body(scope, receive, self.max_body_bytes)
            return 200, self._infer(body)
        _require(method, "GET")
        if action == "/ready":
            return 200, {"name": name, "ready": True}
        return 200, self._metadata()

    def _check_model(self, name: str, version: str | None) -> None:
        if name != self.runtime.name:
            raise NotFound(f"unknown model {name!r} (serving {self.runtime.name!r})")
        if version is not None and version != self.runtime.version:
            raise NotFound(f"model {name!r} has no served version {version!r} "
                           f"(serving version {self.runtime.version})")

    def _metadata(self) -> dict[str, Any]:
        return {"name": self.runtime.name, "versions": [self.runtime.version],
                "platform": "mlmom-lab", "inputs": [c.as_v2() for c in self.runtime.schema.columns],
                "outputs": [{"name": "predict", "datatype": "INT64", "shape": [-1]},
                            {"name": "predict_proba", "datatype": "FP32", "shape": [-1, -1]}]}

    def _infer(self, body: Any) -> dict[str, Any]:
        request = parse_v2(body, self.runtime.schema)
        prediction = self.runtime.predict(self.runtime.schema.validate(request.columns))
        return v2_response(prediction, model=self.runtime.name, version=self.runtime.version,
                           request_id=request.id, outputs=request.outputs)

    def _invocations(self, body: Any) -> dict[str, Any]:
        columns = parse_invocations(body, self.runtime.schema)
        return invocations_response(self.runtime.predict(self.runtime.schema.validate(columns)))


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise MethodNotAllowed(f"use {allowed} here, not {method}")


async def _json_body(scope: dict, receive, limit: int) -> Any:
    content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType(f"unsupported content type {content_type!r}: send "
                                   "application/json")
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes is over the limit of {limit}")
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    try:
        return json.loads(b"".join(chunks))
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


async def _send_json(send: Send, status: int, body: Any) -> None:
    payload = json.dumps(body, separators=(",", ":"), default=_plain).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


async def _lifespan(receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app() -> ServingApp:
    """The app for ``uvicorn --factory`` workers: project and version from the environment."""
    from ..config import load_project
    from .runtime import load

    project = load_project(os.environ.get("MLMOM_SERVE_PROJECT", "."))
    runtime = load(project, os.environ.get("MLMOM_SERVE_VERSION", "champion"))
    limit = int(os.environ.get("MLMOM_SERVE_MAX_BODY", MAX_BODY_BYTES))
    return ServingApp(runtime, max_body_bytes=limit)
