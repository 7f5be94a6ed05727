"""Aliases (champion, challenger) and their history: who moved which alias, when, and why.

MLflow keeps only where an alias points now. Every move made here also writes an event as a
tag of the registered model (``mlmom.alias_event.<time>``), so the history lives in the same
store as the registry, survives restarts, and follows the project to a tracking server.
Rollback reads it to find the champion before the current one.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest, NotFound, RegistryError
from ..identity import current_user
from ..mlflow_clients import missing_as
from ..project import Project
from . import approvals
from .reading import reader_for
from .versions import aliases_of, client_for, get_version, project_of

if TYPE_CHECKING:
    from mlflow import MlflowClient

EVENT_TAG = "mlmom.alias_event."
_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,254}")
_VERSION_LIKE = re.compile(r"[vV]\d+")


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias."""

    alias: str
    from_version: str | None
    to_version: str | None
    action: str  # promote | rollback | challenge | clear
    who: str
    when: float
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def history(
    name: str | None = None, project: Project | str | None = None, alias: str | None = None
) -> list[AliasEvent]:
    """Every recorded alias move of the model, oldest first."""
    project = project_of(project)
    name = name or project.spec.model
    tags = reader_for(project).model(name).tags
    events = [
        AliasEvent(**json.loads(v)) for k, v in sorted(tags.items()) if k.startswith(EVENT_TAG)
    ]
    return [e for e in events if alias is None or e.alias == alias]


def promote(
    version: str | int,
    *,
    name: str | None = None,
    alias: str = "champion",
    reason: str = "",
    project: Project | str | None = None,
    who: str | None = None,
) -> AliasEvent:
    """Point ``alias`` at ``version``. Promoting the challenger to champion clears the challenger.

    The registry only: what serves does not follow. :func:`mlmom_lab.release.assign` moves an
    alias and the deployment together.

    ``who`` is recorded in the alias history (default: :func:`current_user`); the lab passes
    the Jupyter user it acts for."""
    check_alias(alias)
    project = project_of(project)
    name = name or project.spec.model
    client = client_for(project)
    version = _existing(client, name, version)
    current = aliases_of(client, name)
    if current.get(alias) == version:
        raise RegistryError(f"{name} version {version} is already {alias}")
    if alias == "champion" and project.spec.governance.require_approval:
        approvals.check_may_serve(project, get_version(name, version, project), "become champion")
    action = "challenge" if alias == "challenger" else "promote"
    event = _move(client, name, alias, current.get(alias), version, action, reason, who)
    if alias == "champion" and current.get("challenger") == version:
        client.delete_registered_model_alias(name, "challenger")
        _record(
            client,
            name,
            AliasEvent(
                "challenger",
                version,
                None,
                "clear",
                event.who,
                event.when,
                f"promoted to champion: {reason}".strip(),
            ),
        )
    return event


def rollback(
    *,
    name: str | None = None,
    alias: str = "champion",
    reason: str = "",
    project: Project | str | None = None,
    who: str | None = None,
) -> AliasEvent:
    """Move ``alias`` back to the version it pointed at before the current one was promoted."""
    project = project_of(project)
    name = name or project.spec.model
    client = client_for(project)
    current = aliases_of(client, name).get(alias)
    if current is None:
        raise RegistryError(f"{name} has no {alias} to roll back")
    previous = _previous(history(name, project, alias), current)
    if previous is None:
        raise RegistryError(f"{name}: no earlier {alias} than version {current} in the history")
    event = _move(client, name, alias, current, previous, "rollback", reason, who)
    return event


def _previous(events: list[AliasEvent], current: str) -> str | None:
    """The version the alias held before ``current`` was (last) promoted to it."""
    for event in reversed(events):
        if event.to_version == current and event.action in ("promote", "challenge"):
            return event.from_version
    return None


def _existing(client: MlflowClient, name: str, version: str | int) -> str:
    version = str(version)
    aliases = aliases_of(client, name)
    version = aliases.get(version, version)
    missing = NotFound(f"model {name!r} has no version {version!r}")
    if not version.isdigit():
        raise missing
    with missing_as(missing):
        client.get_model_version(name, version)
    return version


def _move(
    client: MlflowClient,
    name: str,
    alias: str,
    old: str | None,
    new: str,
    action: str,
    reason: str,
    who: str | None = None,
) -> AliasEvent:
    """Move the alias and record it; an unrecorded move is undone, so history stays whole."""
    client.set_registered_model_alias(name, alias, new)
    event = AliasEvent(alias, old, new, action, who or current_user(), time.time(), reason)
    try:
        _record(client, name, event)
    except Exception:
        if old is None:
            client.delete_registered_model_alias(name, alias)
        else:
            client.set_registered_model_alias(name, alias, old)
        raise
    return event


def check_alias(alias: str) -> str:
    """MLflow's alias rules, as one clear error instead of its exception."""
    if not _ALIAS.fullmatch(alias) or alias.lower() == "latest" or _VERSION_LIKE.fullmatch(alias):
        raise InvalidRequest(
            f"alias {alias!r} is not allowed: use letters, digits, '_' or '-', "
            "not 'latest' nor a version-like name such as 'v3'"
        )
    return alias


def _record(client: MlflowClient, name: str, event: AliasEvent) -> None:
    key = f"{EVENT_TAG}{time.time_ns():020d}.{secrets.token_hex(2)}"
    client.set_registered_model_tag(name, key, json.dumps(event.as_dict()))
