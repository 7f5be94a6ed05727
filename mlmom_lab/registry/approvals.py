"""Approvals: a version is pending, approved or rejected, by whom, when and why.

With ``governance.require_approval`` only an approved version may become champion or go out
as a canary; with ``governance.four_eyes`` the approver must not be whoever registered it
(the ``mlmom.registered_by`` tag, written at registration). The current decision is the
version's ``mlmom.approval`` tag; every decision is also an event tag of the registered model
(``mlmom.approval_event.<time>``), so the audit trail keeps them all, in the registry's own
store, across restarts and on a team's tracking server alike.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..errors import Forbidden, InvalidRequest, RegistryError
from ..identity import current_user
from .versions import client_for, get_version, parse_ref, project_of

if TYPE_CHECKING:
    from ..project import Project
    from .versions import VersionInfo

APPROVAL_TAG = "mlmom.approval"
EVENT_TAG = "mlmom.approval_event."
REGISTERED_BY = "mlmom.registered_by"
Status = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class Approval:
    """A decision on a version (or none yet: ``pending``)."""

    version: str
    status: Status = "pending"
    who: str = ""
    when: float = 0.0
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def of(info: VersionInfo) -> Approval:
    """The version's current decision (pending when none was made)."""
    recorded = info.approval
    if recorded.get("status") not in ("approved", "rejected"):
        return Approval(info.version)
    return Approval(
        info.version,
        recorded["status"],
        str(recorded.get("who", "")),
        float(recorded.get("when", 0.0)),
        str(recorded.get("why", "")),
    )


def approve(
    ref: str, why: str, *, project: Project | str | None = None, who: str | None = None
) -> Approval:
    """Approve version ``ref`` (``3``, ``challenger``, ``model@3``) for ``why``."""
    return _decide(ref, "approved", why, project, who)


def reject(
    ref: str, why: str, *, project: Project | str | None = None, who: str | None = None
) -> Approval:
    """Reject version ``ref``: with approvals required it may not serve until approved."""
    return _decide(ref, "rejected", why, project, who)


def history(project: Project | str | None = None, name: str | None = None) -> list[Approval]:
    """Every decision on the model's versions, oldest first."""
    from .reading import reader_for

    project = project_of(project)
    tags = reader_for(project).model(name or project.spec.model).tags
    return [Approval(**json.loads(v)) for k, v in sorted(tags.items()) if k.startswith(EVENT_TAG)]


def check_may_serve(project: Project, info: VersionInfo, purpose: str) -> None:
    """Raise :class:`Forbidden` when approvals are required and ``info`` is not approved;
    ``purpose`` says what was refused ("become champion", "go out as a canary")."""
    if not project.spec.governance.require_approval:
        return
    decision = of(info)
    if decision.status == "approved":
        return
    by = f" by {decision.who}: {decision.why}" if decision.status == "rejected" else ""
    raise Forbidden(
        f"version {info.version} may not {purpose}: it is {decision.status}{by} "
        f"(governance.require_approval; approve it with `mlmom registry approve {info.version} "
        "-m WHY`)"
    )


def _decide(
    ref: str, status: Status, why: str, project: Project | str | None, who: str | None
) -> Approval:
    project = project_of(project)
    if not why.strip():
        raise InvalidRequest(f"say why the version is {status} (-m WHY)")
    info = get_version(*parse_ref(ref, project.spec.model), project)
    who = who or current_user()
    if of(info).status == status:
        raise RegistryError(f"version {info.version} is already {status}")
    if status == "approved":
        _four_eyes(project, info, who)
    decision = Approval(info.version, status, who, time.time(), why.strip())
    client = client_for(project)
    # the event first: a decision is in force only once the audit trail holds it
    key = f"{EVENT_TAG}{time.time_ns():020d}.{secrets.token_hex(2)}"
    client.set_registered_model_tag(info.name, key, json.dumps(decision.as_dict()))
    client.set_model_version_tag(
        info.name, info.version, APPROVAL_TAG, json.dumps(decision.as_dict())
    )
    return decision


def _four_eyes(project: Project, info: VersionInfo, approver: str) -> None:
    if not project.spec.governance.four_eyes:
        return
    registrant = info.registered_by
    if not registrant:
        raise Forbidden(
            f"four eyes: who registered version {info.version} was not recorded, so no "
            "one can approve it (register it again)"
        )
    if _same_person(registrant, approver):
        raise Forbidden(
            f"four eyes: {approver} registered version {info.version}; someone else must approve it"
        )


def _same_person(a: str, b: str) -> bool:
    """The lab records "Name (username)"; the CLI the username: the same person either way."""

    def username(who: str) -> str:
        return who.rsplit("(", 1)[-1].rstrip(")").strip() if who.endswith(")") else who.strip()

    return username(a) == username(b)
