"""The bodies the lab POSTs, defined once: pydantic models that refuse unknown fields and
name the field that is wrong; a release's bodies are the release workflow's own. (The
frontend's ``labextension/src/types.ts`` mirrors them.)"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..release.requests import (
    Body,
    CanaryRequest,
    PromoteRequest,
    ReleaseRequest,
    RollbackRequest,
    ShadowRequest,
    parse,
)


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


class Empty(Body):
    pass


__all__ = [
    "Body",
    "CanaryRequest",
    "DashboardRequest",
    "Empty",
    "PromoteRequest",
    "ReleaseRequest",
    "RollbackRequest",
    "RunRequest",
    "ShadowRequest",
    "WindowRequest",
    "parse",
]
