"""Releases, reported when they are live: every move of what serves, in one place.

Each release moves the registry's aliases first (recording who, when and why in the alias
history), then writes the deployment, then waits until every running worker of the project's
servers serves the change. The CLI, the lab, the serving app's ``/deployment/*`` routes, the
retraining loop and the demo all call this module, and nothing else moves ``champion``,
``challenger``, a canary or a shadow: a user who starts a canary and then sends traffic sees
the canary answer. When no server runs, the change is reported at once, to apply when one
starts.

    from mlmom_lab import release
    done = release.canary(project, "2", 0.3, reason="new candidate")
    print(done.message)  # canary v2 at 30% live on 2 of 2 workers in 1.8 s
    release.assign("3", alias="champion", reason="wins the gate")  # the alias, and what serves
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from .. import registry
from ..errors import NotFound, RegistryError
from ..project import Project
from ..registry import aliases, approvals
from ..registry.aliases import AliasEvent
from ..registry.versions import project_of
from ..serving import deployment
from ..serving.deployment import Deployment
from ..serving.rollout import Release, confirm
from .requests import CanaryRequest, ReleaseRequest, ShadowRequest, validated

__all__ = [
    "ACTIONS",
    "AliasMove",
    "Release",
    "apply",
    "assign",
    "canary",
    "check_weight",
    "clear",
    "promote",
    "revert",
    "rollback",
    "shadow",
]
ACTIONS = ("canary", "shadow", "promote", "rollback", "clear")


@dataclass(frozen=True)
class AliasMove:
    """An alias moved in the registry and, when it moved what serves, the release of that."""

    event: AliasEvent
    release: Release | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.event.as_dict(),
            "release": None if self.release is None else self.release.as_dict(),
        }


def apply(project: Project, action: str, body: Any, who: str | None = None) -> Release:
    """A release asked for with a JSON body (the serving app's ``/deployment/<action>``),
    checked with the same models as the lab's."""
    if action not in ACTIONS:
        raise NotFound(f"no deployment action {action!r} (actions: {', '.join(ACTIONS)})")
    models: dict[str, type[ReleaseRequest]] = {"canary": CanaryRequest, "shadow": ShadowRequest}
    model = models.get(action, ReleaseRequest)
    request = validated(model, body)
    how: _How = {"reason": request.reason, "who": who, "timeout": request.timeout}
    if isinstance(request, CanaryRequest):
        return canary(project, request.version, request.weight, **how)
    if isinstance(request, ShadowRequest):
        return shadow(project, request.version, **how)
    return {"promote": promote, "rollback": rollback, "clear": clear}[action](project, **how)


class _How(TypedDict):
    """What every release move takes besides its versions."""

    reason: str
    who: str | None
    timeout: float | None


def check_weight(weight: float) -> float:
    """A canary weight: above 0 and at most 1 (all the traffic), else :class:`InvalidRequest`
    (the same rule as the lab's and the serving app's bodies)."""
    return validated(CanaryRequest, {"version": "-", "weight": weight}).weight


def canary(
    project: Project,
    version: str,
    weight: float,
    *,
    reason: str = "",
    who: str | None = None,
    timeout: float | None = None,
) -> Release:
    """Route ``weight`` (0-1) of the traffic to ``version`` (made challenger in the registry).
    ``who`` (here and below) is recorded with the change and in the alias history;
    ``timeout`` (seconds) defaults to ``serving.release_timeout``."""
    weight = check_weight(weight)
    state = deployment.current(project)
    info = registry.get_version(None, version, project)
    if info.version == state.champion:
        raise RegistryError(f"version {info.version} is the champion already")
    approvals.check_may_serve(project, info, "go out as a canary")
    if "challenger" not in info.aliases:
        aliases.promote(
            info.version, alias="challenger", reason=reason or "canary", project=project, who=who
        )
    state = deployment.changed(state, canary=info.version, canary_weight=weight)
    return _written(
        project, "canary", state, reason or f"canary {info.version} at {weight:.0%}", who, timeout
    )


def shadow(
    project: Project,
    version: str,
    *,
    reason: str = "",
    who: str | None = None,
    timeout: float | None = None,
) -> Release:
    """Send a copy of every request to ``version``; its answers are logged, never returned."""
    state = deployment.current(project)
    info = registry.get_version(None, version, project)
    return _written(
        project,
        "shadow",
        deployment.changed(state, shadow=info.version),
        reason or f"shadow {info.version}",
        who,
        timeout,
    )


def promote(
    project: Project, *, reason: str = "", who: str | None = None, timeout: float | None = None
) -> Release:
    """The canary becomes the champion, in the registry and in the deployment."""
    state = deployment.current(project)
    if not state.canary:
        raise RegistryError("no canary to promote: start one with `mlmom deploy canary VERSION`")
    reason = reason or "canary promoted"
    aliases.promote(state.canary, alias="champion", reason=reason, project=project, who=who)
    return _written(
        project, "promote", deployment.with_champion(state, state.canary), reason, who, timeout
    )


def rollback(
    project: Project, *, reason: str = "", who: str | None = None, timeout: float | None = None
) -> Release:
    """The champion goes back to the previous one (from the alias history); canary cleared."""
    state = deployment.current(project)
    reason = reason or "rollback"
    event = aliases.rollback(reason=reason, project=project, who=who)
    state = deployment.changed(state, champion=event.to_version, canary=None)
    return _written(project, "rollback", state, reason, who, timeout)


def clear(
    project: Project, *, reason: str = "", who: str | None = None, timeout: float | None = None
) -> Release:
    """Only the champion serves: canary and shadow removed."""
    state = deployment.changed(deployment.current(project), canary=None, shadow=None)
    return _written(project, "clear", state, reason or "canary and shadow cleared", who, timeout)


def assign(
    version: str | int,
    *,
    alias: str = "champion",
    model: str | None = None,
    reason: str = "",
    project: Project | str | None = None,
    who: str | None = None,
    timeout: float | None = None,
) -> AliasMove:
    """Point ``alias`` of ``model`` (default: the project's) at ``version``, as
    ``registry.promote`` does; a new champion of the project's model is also what its
    deployment serves, once there is one. ``project``: default, the notebook's pipeline
    project, else the working folder's."""
    project = project_of(project)
    event = aliases.promote(
        version, name=model, alias=alias, reason=reason, project=project, who=who
    )
    return AliasMove(event, _follow(project, model, event, reason, who, timeout))


def revert(
    *,
    alias: str = "champion",
    model: str | None = None,
    reason: str = "",
    project: Project | str | None = None,
    who: str | None = None,
    timeout: float | None = None,
) -> AliasMove:
    """Move ``alias`` back to the version it held before the current one (the deployment
    follows a champion, as with :func:`assign`)."""
    project = project_of(project)
    event = aliases.rollback(name=model, alias=alias, reason=reason, project=project, who=who)
    return AliasMove(event, _follow(project, model, event, reason, who, timeout))


def _follow(
    project: Project,
    model: str | None,
    event: AliasEvent,
    reason: str,
    who: str | None,
    timeout: float | None,
) -> Release | None:
    """The deployment follows its model's champion; ``None`` for another alias or model, or
    before the first deployment (the first server starts from the alias)."""
    if event.alias != "champion" or (model or project.spec.model) != project.spec.model:
        return None
    state = deployment.read(deployment.path_of(project))
    if state is None or event.to_version is None:
        return None
    if state.champion == event.to_version:
        return confirm(project, "promote", state, timeout)
    return _written(
        project,
        "promote",
        deployment.with_champion(state, event.to_version),
        reason or f"champion moved to {event.to_version} in the registry",
        who,
        timeout,
    )


def _written(
    project: Project,
    action: str,
    state: Deployment,
    reason: str,
    who: str | None,
    timeout: float | None,
) -> Release:
    return confirm(project, action, deployment.save(project, state, reason, who), timeout)
