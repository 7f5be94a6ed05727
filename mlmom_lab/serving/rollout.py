"""Which deployment generation each serving worker serves, and waiting until all serve one.

Every worker of ``mlmom serve`` keeps a small record, ``.mlmom/workers/<pid>.json``: the
generation (``seq`` of ``deployment.json``) it has swapped in, or the one it failed to apply
and why. A release reads these records to report a change only once every live worker
serves it, as Kubernetes reports a rollout done only when its pods are ready. A worker that
died (its process is gone, or its pid now belongs to another process) is not waited for,
and its record is removed by whoever notices.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_json

if TYPE_CHECKING:
    from ..project import Project
    from .deployment import Deployment

FOLDER = "workers"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class WorkerState:
    """One worker's record: what it serves (``None`` while its first load runs)."""

    pid: int
    started: float  # the process's start time: a pid reused by another process is not it
    follows: str = ""  # the state folder whose deployment it follows (a copied record is not)
    seq: int | None = None
    failed_seq: int | None = None
    failed_reason: str = ""
    updated_at: float = 0.0

    def serves(self, seq: int) -> bool:
        return self.seq is not None and self.seq >= seq

    def refused(self, seq: int) -> bool:
        """It tried this generation (or a later one) and could not load it."""
        return self.failed_seq is not None and self.failed_seq >= seq and not self.serves(seq)

    def describe(self) -> str:
        serving = "starting" if self.seq is None else f"serves change {self.seq}"
        if self.failed_seq is not None and (self.seq is None or self.failed_seq > self.seq):
            serving += f", failed to apply change {self.failed_seq}: {self.failed_reason}"
        return f"worker {self.pid} {serving}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def folder_of(state_dir: Path) -> Path:
    return Path(state_dir) / FOLDER


class WorkerRecord:
    """The record a serving worker keeps of itself (written atomically on every change)."""

    def __init__(self, state_dir: Path) -> None:
        self.pid = os.getpid()
        self.path = folder_of(state_dir) / f"{self.pid}.json"
        self.state = WorkerState(
            self.pid, _started(self.pid) or time.time(), str(Path(state_dir).resolve())
        )
        self._write()

    def serving(self, seq: int) -> None:
        self._update(seq=seq)

    def failed(self, seq: int, reason: str) -> None:
        self._update(failed_seq=seq, failed_reason=reason[:500])

    def close(self) -> None:
        self.path.unlink(missing_ok=True)

    def _update(self, **changes: Any) -> None:
        self.state = WorkerState(**{**self.state.as_dict(), **changes, "updated_at": time.time()})
        self._write()

    def _write(self) -> None:
        write_json(self.path, self.state.as_dict())


def live_workers(state_dir: Path) -> list[WorkerState]:
    """The records of the workers that are alive now and follow this folder's deployment, by
    pid; the records of dead workers, and those copied here with the project, removed."""
    found, here = [], str(Path(state_dir).resolve())
    # <pid>.json only: a record being rewritten has a twin, the atomic write's ``.tmp-*.json``
    # (pathlib's glob matches dot files), which once read as a second worker of the same pid.
    for path in sorted(folder_of(state_dir).glob("[0-9]*.json")):
        if not path.stem.isdigit():
            continue
        state = _read(path)
        if state is None:
            continue  # half-gone or foreign: not a worker's record
        if state.follows == here and _alive(state):
            found.append(state)
        else:
            path.unlink(missing_ok=True)
    return sorted(found, key=lambda s: s.pid)


@dataclass
class Rollout:
    """How far one deployment generation has reached the live workers."""

    seq: int
    workers: list[WorkerState] = field(default_factory=list)
    seconds: float = 0.0
    timeout: float = 0.0

    @property
    def live(self) -> list[WorkerState]:
        return [w for w in self.workers if w.serves(self.seq)]

    @property
    def refused(self) -> list[WorkerState]:
        return [w for w in self.workers if w.refused(self.seq)]

    @property
    def lagging(self) -> list[WorkerState]:
        return [w for w in self.workers if not w.serves(self.seq) and not w.refused(self.seq)]

    @property
    def done(self) -> bool:
        """Every live worker serves it (true, and trivially so, when no server runs)."""
        return len(self.live) == len(self.workers)

    def summary(self) -> str:
        """``live on 2 of 2 workers in 1.8 s``, or what stands in the way."""
        if not self.workers:
            return "no server is running: it applies when one starts"
        if self.done:
            return (
                f"live on {len(self.live)} of {len(self.workers)} "
                f"worker{'s' if len(self.workers) > 1 else ''} in {self.seconds:.1f} s"
            )
        if self.refused:
            return "not live: " + "; ".join(w.describe() for w in self.refused)
        return (
            f"not live after {self.timeout:g} s on {len(self.lagging)} of "
            f"{len(self.workers)} workers ("
            + "; ".join(w.describe() for w in self.lagging)
            + "); they will still follow it"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "done": self.done,
            "seconds": round(self.seconds, 3),
            "workers": [w.as_dict() for w in self.workers],
            "live": len(self.live),
            "summary": self.summary(),
        }


def wait_live(state_dir: Path, seq: int, timeout: float) -> Rollout:
    """Wait until every live worker serves generation ``seq`` (or a later one), one of them
    refuses it, or ``timeout`` seconds pass; the rollout as it stands then."""
    began = time.monotonic()
    while True:
        rollout = Rollout(seq, live_workers(state_dir), time.monotonic() - began, timeout)
        if rollout.done or rollout.refused or rollout.seconds >= timeout:
            return rollout
        time.sleep(POLL_SECONDS)


def wait_started(state_dir: Path, workers: int, timeout: float) -> int:
    """Wait until ``workers`` workers have started (each keeps a record from its first moment:
    a release waits for it from then on), or ``timeout`` seconds pass; how many there are.
    A server is ready once its first worker answers; the others may still be importing."""
    deadline = time.monotonic() + timeout
    while (started := len(live_workers(state_dir))) < workers and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return started


def _read(path: Path) -> WorkerState | None:
    try:
        return WorkerState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch); ``None`` if there is none."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _alive(state: WorkerState) -> bool:
    started = _started(state.pid)
    return started is not None and abs(started - state.started) < 1.0


@dataclass
class Release:
    """A deployment change and how far it has reached the running workers."""

    action: str  # canary | shadow | promote | rollback | clear
    deployment: Deployment  # as written
    rollout: Rollout

    def headline(self) -> str:
        d = self.deployment
        return {
            "canary": f"canary v{d.canary} at {d.canary_weight:.0%}",
            "shadow": f"shadow v{d.shadow}",
            "promote": f"champion v{d.champion}",
            "rollback": f"champion v{d.champion} (rolled back)",
            "clear": f"champion v{d.champion} alone",
        }.get(self.action, self.action)

    @property
    def message(self) -> str:
        """``canary v2 at 30% live on 2 of 2 workers in 1.8 s``."""
        return f"{self.headline()} {self.rollout.summary()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.deployment.as_dict(),
            "rollout": self.rollout.as_dict(),
            "message": self.message,
        }


def confirm(
    project: Project, action: str, state: Deployment, timeout: float | None = None
) -> Release:
    """Wait until the change ``state`` (just written) is live on every running worker.

    Raises :class:`~mlmom_lab.errors.NotLive` naming the workers that lag or refused it
    when it is not live within ``timeout`` (default: ``serving.release_timeout``); the
    change stays written, and the workers still follow it.
    """
    from ..errors import NotLive

    limit = project.spec.serving.release_timeout if timeout is None else timeout
    release = Release(action, state, wait_live(project.state_dir, state.seq, limit))
    if not release.rollout.done:
        raise NotLive(
            f"{release.headline()} (change {state.seq}) is written but {release.rollout.summary()}",
            refused=bool(release.rollout.refused),
            detail=release.as_dict(),
        )
    return release
