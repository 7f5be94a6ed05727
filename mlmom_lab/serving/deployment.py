"""The deployment: which versions serve, on which route, with which canary weight.

One small JSON file, ``.mlmom/deployment.json``, written atomically, is the state every
server worker follows (each watches it and swaps in new versions once they are loaded and
warm). Promote and rollback also move the registry aliases, so the registry and the alias
history tell the same story as the deployment.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..config import Project
from ..errors import InvalidRequest, RegistryError
from ..pipeline.cache import write_json

FILE = "deployment.json"


@dataclass(frozen=True)
class Deployment:
    """Where traffic goes: the champion, a canary on a weight, a shadow that only listens."""

    champion: str | None = None
    canary: str | None = None
    canary_weight: float = 0.0
    shadow: str | None = None
    seq: int = 0
    updated_at: float = 0.0
    reason: str = ""
    by: str = ""  # who made the latest change (the login, or the Jupyter user in the lab)

    @property
    def versions(self) -> set[str]:
        return {v for v in (self.champion, self.canary, self.shadow) if v}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def path_of(project: Project) -> Path:
    return project.state_dir / FILE


def read(path: Path) -> Deployment | None:
    """The deployment in ``path``; ``None`` when there is none yet."""
    import json

    try:
        return Deployment(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def current(project: Project) -> Deployment:
    """The project's deployment; the first time, the registry's champion alone."""
    found = read(path_of(project))
    if found is not None:
        return found
    from .. import registry

    champion = registry.get_version(None, "champion", project).version
    return _save(project, Deployment(champion=champion), "first deployment of the champion")


def _save(project: Project, deployment: Deployment, reason: str,
          who: str | None = None) -> Deployment:
    from ..registry.aliases import current_user

    stamped = Deployment(**{**deployment.as_dict(), "seq": deployment.seq + 1,
                            "updated_at": time.time(), "reason": reason,
                            "by": who or current_user()})
    write_json(path_of(project), stamped.as_dict())
    return stamped


def canary(project: Project, version: str, weight: float, reason: str = "",
           who: str | None = None) -> Deployment:
    """Route ``weight`` (0-1) of the traffic to ``version``, marked challenger in the registry.
    ``who`` (here and below) is recorded with the change and in the alias history."""
    from .. import registry

    if not 0.0 < weight <= 1.0:
        raise InvalidRequest(f"canary weight {weight} must be above 0 and at most 1")
    state = current(project)
    info = registry.get_version(None, version, project)
    if info.version == state.champion:
        raise RegistryError(f"version {info.version} is the champion already")
    if "challenger" not in info.aliases:
        registry.promote(info.version, alias="challenger", reason=reason or "canary",
                         project=project, who=who)
    return _save(project, Deployment(**{**state.as_dict(), "canary": info.version,
                                        "canary_weight": weight}),
                 reason or f"canary {info.version} at {weight:.0%}", who)


def shadow(project: Project, version: str, reason: str = "",
           who: str | None = None) -> Deployment:
    """Send a copy of every request to ``version``; its answers are logged, never returned."""
    from .. import registry

    state = current(project)
    info = registry.get_version(None, version, project)
    return _save(project, Deployment(**{**state.as_dict(), "shadow": info.version}),
                 reason or f"shadow {info.version}", who)


def promote(project: Project, reason: str = "", who: str | None = None) -> Deployment:
    """The canary becomes the champion, in the registry and in the deployment."""
    from .. import registry

    state = current(project)
    if not state.canary:
        raise RegistryError("no canary to promote: start one with `mlmom deploy canary VERSION`")
    registry.promote(state.canary, alias="champion", reason=reason or "canary promoted",
                     project=project, who=who)
    return current(project)  # the registry's move was followed (follow_champion)


def rollback(project: Project, reason: str = "", who: str | None = None) -> Deployment:
    """The champion goes back to the previous one (from the alias history); canary cleared."""
    from .. import registry

    current(project)
    registry.rollback(reason=reason or "rollback", project=project, who=who)
    state = current(project)
    if state.canary:
        state = _save(project, Deployment(**{**state.as_dict(), "canary": None,
                                             "canary_weight": 0.0}),
                      "canary cleared on rollback", who)
    return state


def clear(project: Project, reason: str = "", who: str | None = None) -> Deployment:
    """Only the champion serves: canary and shadow removed."""
    state = current(project)
    return _save(project, Deployment(champion=state.champion, seq=state.seq),
                 reason or "canary and shadow cleared", who)


def follow_champion(project: Project, version: str, reason: str = "",
                    who: str | None = None) -> None:
    """The registry's champion moved: a deployment that exists follows it."""
    state = read(path_of(project))
    if state is None or state.champion == version:
        return
    canary = None if state.canary == version else state.canary
    _save(project, Deployment(**{**state.as_dict(), "champion": version, "canary": canary,
                                 "canary_weight": state.canary_weight if canary else 0.0}),
          reason or f"champion moved to {version} in the registry", who)
