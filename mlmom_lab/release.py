"""Releases, reported when they are live: canary, shadow, promote, rollback, clear.

Each changes the deployment (and, for promote and rollback, the registry's aliases and their
history), then waits until every running worker of the project's servers serves the change.
This is what the CLI, the lab, the retraining loop and the demo call: a user who starts a
canary and then sends traffic sees the canary answer. When no server runs, the change is
reported at once, to apply when one starts.

    from mlmom_lab import release
    done = release.canary(project, "2", 0.3, reason="new candidate")
    print(done.message)  # canary v2 at 30% live on 2 of 2 workers in 1.8 s
"""

from __future__ import annotations

from .config import Project
from .serving import deployment
from .serving.rollout import Release, confirm

__all__ = ["Release", "canary", "clear", "champion_moved", "promote", "rollback", "shadow"]


def canary(project: Project, version: str, weight: float, *, reason: str = "",
           who: str | None = None, timeout: float | None = None) -> Release:
    """Route ``weight`` (0-1) of the traffic to ``version`` (made challenger in the registry).
    ``who`` (here and below) is recorded with the change and in the alias history;
    ``timeout`` (seconds) defaults to ``serving.release_timeout``."""
    state = deployment.canary(project, version, weight, reason, who)
    return confirm(project, "canary", state, timeout)


def shadow(project: Project, version: str, *, reason: str = "", who: str | None = None,
           timeout: float | None = None) -> Release:
    """Send a copy of every request to ``version``; its answers are logged, never returned."""
    return confirm(project, "shadow", deployment.shadow(project, version, reason, who), timeout)


def promote(project: Project, *, reason: str = "", who: str | None = None,
            timeout: float | None = None) -> Release:
    """The canary becomes the champion, in the registry and in the deployment."""
    return confirm(project, "promote", deployment.promote(project, reason, who), timeout)


def rollback(project: Project, *, reason: str = "", who: str | None = None,
             timeout: float | None = None) -> Release:
    """The champion goes back to the previous one (from the alias history); canary cleared."""
    return confirm(project, "rollback", deployment.rollback(project, reason, who), timeout)


def clear(project: Project, *, reason: str = "", who: str | None = None,
          timeout: float | None = None) -> Release:
    """Only the champion serves: canary and shadow removed."""
    return confirm(project, "clear", deployment.clear(project, reason, who), timeout)


def champion_moved(project: Project, *, timeout: float | None = None) -> Release | None:
    """After ``mlmom registry promote|rollback`` moved the champion alias (the deployment
    follows it): the release as the workers serve it; ``None`` with no deployment yet."""
    state = deployment.read(deployment.path_of(project))
    return None if state is None else confirm(project, "promote", state, timeout)
