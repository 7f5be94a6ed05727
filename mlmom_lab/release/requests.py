"""What a release asks for, defined once: the lab's handlers and the serving app's
``/deployment/*`` routes validate bodies with these models, and the CLI's options go through
the same checks, so a canary weight or a timeout means the same everywhere."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InvalidRequest

MAX_TIMEOUT = 3600.0


class Body(BaseModel):
    """A request body: unknown fields are refused, and the field at fault is named."""

    model_config = ConfigDict(extra="forbid")


class ReleaseRequest(Body):
    """Promote the canary, roll it back, or clear canary and shadow; answered once every
    running server worker serves the change, or after ``timeout`` seconds (default:
    ``serving.release_timeout``) with the workers that lag."""

    reason: str = ""
    timeout: float | None = Field(default=None, strict=True)

    @field_validator("timeout")
    @classmethod
    def _timeout_in_range(cls, timeout: float | None) -> float | None:
        if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(
                f"must be above 0 and at most {MAX_TIMEOUT:g} seconds, not {timeout:g}"
            )
        return timeout


class CanaryRequest(ReleaseRequest):
    """A canary: ``weight`` of the traffic (above 0, at most 1) goes to ``version``."""

    version: str = Field(min_length=1)
    weight: float = Field(default=0.1, strict=True)

    @field_validator("weight")
    @classmethod
    def _weight_in_range(cls, weight: float) -> float:
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"must be above 0 and at most 1 (all the traffic), not {weight:g}")
        return weight


class ShadowRequest(ReleaseRequest):
    version: str = Field(min_length=1)


class PromoteRequest(ReleaseRequest):
    """Point ``alias`` at ``version`` (the deployment follows a new champion)."""

    version: str = Field(min_length=1)
    alias: str = "champion"


class RollbackRequest(ReleaseRequest):
    """Move ``alias`` back to the version it held before the current one."""

    alias: str = "champion"


B = TypeVar("B", bound=Body)


def validated(model: type[B], data: Any) -> B:
    """``data`` as ``model``; any fault is one :class:`InvalidRequest` naming the field."""
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidRequest(f"{where}: {message}") from None


def parse(model: type[B], raw: bytes) -> B:
    """A raw JSON body as ``model`` (:func:`validated`)."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc}") from None
    return validated(model, data)
