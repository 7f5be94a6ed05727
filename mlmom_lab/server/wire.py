"""The bodies the lab POSTs, defined once: pydantic models that refuse unknown fields and
name the field that is wrong. (The frontend's ``labextension/src/types.ts`` mirrors them.)"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidRequest


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(Body):
    """Run the pipeline: all of it, ``stages`` (and what they need), or ``start`` onwards."""

    stages: list[str] = Field(default_factory=list)
    start: str | None = None
    force: bool = False
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)


class PromoteRequest(Body):
    version: str = Field(min_length=1)
    alias: str = "champion"
    reason: str = ""


class RollbackRequest(Body):
    alias: str = "champion"
    reason: str = ""


class ReleaseRequest(Body):
    """Promote the canary, roll it back, or clear canary and shadow; answered once every
    running server worker serves the change, or after ``timeout`` seconds (default:
    ``serving.release_timeout``) with the workers that lag."""

    reason: str = ""
    timeout: float | None = Field(default=None, gt=0, le=3600)


class CanaryRequest(ReleaseRequest):
    version: str = Field(min_length=1)
    weight: float = Field(gt=0, lt=1)


class ShadowRequest(ReleaseRequest):
    version: str = Field(min_length=1)


class WindowRequest(Body):
    """A window of the prediction log for a check or a report (default: the last
    ``monitoring.window`` rows of the champion)."""

    version: str | None = None
    last: int | None = Field(default=None, gt=0)


class DashboardRequest(Body):
    """One of the project's Voilà dashboards."""

    name: Literal["explain", "drift"]


class Empty(Body):
    pass


B = TypeVar("B", bound=Body)


def parse(model: type[B], raw: bytes) -> B:
    """The request body as ``model``; any fault is one :class:`InvalidRequest` naming it."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidRequest(f"{where}: {first['msg']}") from None
