"""The audit trail: every registration, quality gate, approval, alias move, deployment change,
alert, retraining step and erasure, with who, when, what and why, in one ordered view.

Nothing is copied into a log of its own: each event is read from the store where it already
lives (the registry's version and model tags, the deployment history, the alerts table and
the erasure records beside the prediction log, the retraining loop's file), so the trail is
as durable as those stores and follows the project to a team's tracking server and database.
A read: no MLflow import on a local store or a tracking server (see :mod:`.registry.reading`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from .project import Project

KINDS = (
    "registration", "gate", "approval", "alias", "deployment", "alert", "retraining", "erasure",
)  # fmt: skip


@dataclass(frozen=True)
class AuditEvent:
    """One thing that happened: when, of which kind, who did it, what, and why."""

    when: float
    kind: str  # one of KINDS
    who: str
    what: str
    why: str = ""
    version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def trail(project: Project, since: float | None = None) -> list[AuditEvent]:
    """Every event of the project's model, oldest first; ``since``: only those after it."""
    sources: list[Callable[[Project], list[AuditEvent]]] = [
        _registry,
        _deployments,
        _alerts,
        _retraining,
        _erasures,
    ]
    events = [e for source in sources for e in source(project)]
    return sorted(
        (e for e in events if since is None or e.when >= since),
        key=lambda e: (e.when, KINDS.index(e.kind)),
    )


def _registry(project: Project) -> list[AuditEvent]:
    """Registrations and gate results (version tags), alias moves and approvals (model tags)."""
    from .errors import NotFound
    from .registry.aliases import EVENT_TAG as ALIAS
    from .registry.approvals import EVENT_TAG as APPROVAL
    from .registry.reading import reader_for

    reader, name = reader_for(project), project.spec.model
    try:
        tags = reader.model(name).tags
    except NotFound:
        return []  # nothing registered yet
    events = [e for record in reader.versions(name) for e in _version_events(record)]
    for key, value in sorted(tags.items()):
        if key.startswith(ALIAS):
            events.append(_alias_event(json.loads(value)))
        elif key.startswith(APPROVAL):
            decision = json.loads(value)
            what = f"version {decision['version']} {decision['status']}"
            events.append(
                AuditEvent(
                    decision["when"],
                    "approval",
                    decision["who"],
                    what,
                    decision["why"],
                    decision["version"],
                )
            )
    return events


def _version_events(record: Any) -> list[AuditEvent]:
    tags = record.tags
    what = f"registered version {record.version}"
    if tags.get("mlmom.kind"):
        what += f" ({tags['mlmom.kind']}, ONNX {tags.get('mlmom.onnx', '-')})"
    events = [
        AuditEvent(
            record.created / 1000,
            "registration",
            tags.get("mlmom.registered_by", ""),
            what,
            record.description,
            record.version,
        )
    ]
    gate = _json(tags.get("mlmom.gate"))
    if gate:
        failed = [v["rule"] for v in gate.get("verdicts", []) if v["outcome"] in ("fail", "error")]
        against = f" against v{gate['against']}" if gate.get("against") else ""
        events.append(
            AuditEvent(
                gate.get("when", 0.0),
                "gate",
                gate.get("who", ""),
                f"quality gate {gate.get('status')} for version {record.version}{against}",
                ", ".join(failed) or gate.get("error", ""),
                record.version,
            )
        )
    return events


def _alias_event(event: dict[str, Any]) -> AuditEvent:
    moved = f"{event['from_version'] or '-'} -> {event['to_version'] or '-'}"
    return AuditEvent(
        event["when"],
        "alias",
        event["who"],
        f"{event['alias']} {moved} ({event['action']})",
        event.get("reason", ""),
        event["to_version"],
    )


def _deployments(project: Project) -> list[AuditEvent]:
    from .serving.deployment import history

    events = []
    for d in history(project):
        parts = [f"champion v{d.champion}" if d.champion else "no champion"]
        if d.canary:
            parts.append(f"canary v{d.canary} at {d.canary_weight:.0%}")
        if d.shadow:
            parts.append(f"shadow v{d.shadow}")
        what = f"deployment #{d.seq}: " + ", ".join(parts)
        events.append(AuditEvent(d.updated_at, "deployment", d.by, what, d.reason, d.champion))
    return events


def _alerts(project: Project) -> list[AuditEvent]:
    from .monitoring.alerts import history

    return [
        AuditEvent(a.ts, "alert", "monitoring", f"alert {a.rule} fired", a.message, a.version)
        for a in history(project.prediction_log_uri, limit=100_000)
    ]


def _retraining(project: Project) -> list[AuditEvent]:
    from .monitoring.loop_state import steps

    return [
        AuditEvent(step["ts"], "retraining", "retraining loop", step["state"], step["message"])
        for step in steps(project)
    ]


def _erasures(project: Project) -> list[AuditEvent]:
    from .predictions.erasure import history

    return [
        AuditEvent(e.ts, "erasure", e.who, e.what, e.why)
        for e in history(project.prediction_log_uri)
    ]


def _json(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
