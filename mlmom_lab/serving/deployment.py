"""The deployment: which versions serve, on which route, with which canary weight.

One small JSON file, ``.mlmom/deployment.json``, written atomically, is the state every
server worker follows (each watches it and swaps in new versions once they are loaded and
warm); every generation is also appended to ``.mlmom/deployments.jsonl``, the history the
audit trail reads. Only :mod:`mlmom_lab.release` changes it, together with the registry's aliases, so the
registry and the alias history tell the same story as the deployment.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..files import write_json
from ..project import Project

FILE = "deployment.json"
HISTORY = "deployments.jsonl"


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
    return save(project, Deployment(champion=champion), "first deployment of the champion")


def save(
    project: Project, deployment: Deployment, reason: str, who: str | None = None
) -> Deployment:
    """Write ``deployment`` as the next generation (``seq`` + 1), stamped with when, why and
    who; every worker follows it."""
    from ..identity import current_user

    stamped = Deployment(
        **{
            **deployment.as_dict(),
            "seq": deployment.seq + 1,
            "updated_at": time.time(),
            "reason": reason,
            "by": who or current_user(),
        }
    )
    write_json(path_of(project), stamped.as_dict())
    _append(project.state_dir / HISTORY, stamped)
    return stamped


def history(project: Project) -> list[Deployment]:
    """Every generation written, oldest first (a line another version wrote is skipped)."""
    import json

    try:
        lines = (project.state_dir / HISTORY).read_text().splitlines()
    except OSError:
        return []
    kept = []
    for line in lines:
        try:
            kept.append(Deployment(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return kept


def _append(path: Path, deployment: Deployment) -> None:
    """One line per generation, appended in one write (O_APPEND: whole lines, even when two
    processes release at once)."""
    import json
    import os

    line = (json.dumps(deployment.as_dict()) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def changed(deployment: Deployment, **fields: Any) -> Deployment:
    """``deployment`` with ``fields`` replaced (a canary cleared takes its weight with it)."""
    state = Deployment(**{**deployment.as_dict(), **fields})
    return state if state.canary else Deployment(**{**state.as_dict(), "canary_weight": 0.0})


def with_champion(deployment: Deployment, version: str) -> Deployment:
    """``version`` serves as champion; a canary of that same version has nothing left to do."""
    canary = None if deployment.canary == version else deployment.canary
    return changed(deployment, champion=version, canary=canary)
