"""Long work (a pipeline run, starting a server, a drift report) as jobs with ids.

A job runs on a worker thread, off whatever event loop asked for it, and keeps what a user
polls for: its status, its progress per step, the lines of its log and, at the end, its
result or the core's error (message and code, never a traceback). A job that must not run
twice at once for one project (two pipeline runs would fight over the stage cache) names an
``exclusive`` key: a second such job is refused with :class:`~mlmom_lab.errors.Busy` while the
first is queued or running.

A queued job can always be cancelled. A running one only when its work watches
:attr:`Job.cancel_requested` (a pipeline run does, between and during its stages): the work
stops and raises :class:`~mlmom_lab.errors.Cancelled`, and the job ends ``cancelled``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Busy, Cancelled, MlmomError, NotFound, error_body

if TYPE_CHECKING:  # a pipeline run reports into a job; the pipeline sits above this module
    from .pipeline.results import RunResult

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
MAX_LOG_LINES = 2000  # a job's log keeps its last lines only


@dataclass
class Job:
    """One piece of long work and what it has reported so far."""

    id: str
    kind: str
    title: str
    project: str | None = None
    exclusive: str | None = None
    status: str = "queued"  # queued -> running -> done | failed | cancelled
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    log_offset: int = 0  # lines dropped from the front of ``log``
    result: Any = None
    error: dict[str, str] | None = None
    stoppable: bool = False  # its work watches ``cancel_requested`` while it runs
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self) -> bool:
        """Mark the job running, unless it was cancelled while queued (then False)."""
        with self._lock:
            if self.status == "cancelled":
                return False
            self.status, self.started = "running", time.time()
            return True

    def cancel(self) -> None:
        """Cancel the job: at once while queued; a running one when its work can stop."""
        with self._lock:
            if self.status not in ACTIVE:
                raise Busy(f"{self.title} has already ended ({self.status}, job {self.id})")
            if self.status == "running" and not self.stoppable:
                raise Busy(f"{self.title} cannot be stopped once it runs (job {self.id})")
            self.cancel_requested.set()
            if self.status == "queued":  # the worker that picks it up will skip it
                self.status, self.finished = "cancelled", time.time()
            self._append("cancel requested" if self.status == "running" else "cancelled")

    def end(self, status: str, result: Any = None, error: dict[str, str] | None = None) -> None:
        """Finish the job at once: a poller never sees it ended without its time and last line."""
        with self._lock:
            self.status, self.result, self.error = status, result, error
            self.finished = time.time()
            self._append(status + (f": {error['error']}" if error else ""))

    def step(self, name: str, status: str, detail: str = "") -> None:
        """Report the state of one step (a pipeline stage), and log the change."""
        with self._lock:
            self.steps[name] = {"status": status, "detail": detail, "at": time.time()}
        self.write(f"{name}: {status}" + (f" ({detail})" if detail else ""))

    def progress(self, name: str, done: int, total: int) -> None:
        """How far a running step has gone (cells of a notebook); not logged, too frequent."""
        with self._lock:
            if name in self.steps:
                self.steps[name]["cells"] = [done, total]

    def write(self, line: str) -> None:
        with self._lock:
            self._append(line)

    def _append(self, line: str) -> None:  # the caller holds the lock
        self.log.append(f"{time.strftime('%H:%M:%S')} {line}")
        if len(self.log) > MAX_LOG_LINES:
            drop = len(self.log) - MAX_LOG_LINES
            del self.log[:drop]
            self.log_offset += drop

    def as_dict(self, log_from: int = 0) -> dict[str, Any]:
        """The job as JSON; ``log_from`` skips the log lines a poller has already seen."""
        with self._lock:
            start = max(0, log_from - self.log_offset)
            return {
                "id": self.id,
                "kind": self.kind,
                "title": self.title,
                "stoppable": self.stoppable,
                "project": self.project,
                "status": self.status,
                "created": self.created,
                "started": self.started,
                "finished": self.finished,
                "steps": {k: dict(v) for k, v in self.steps.items()},
                "log": self.log[start:],
                "log_next": self.log_offset + len(self.log),
                "result": self.result,
                "error": self.error,
            }


class Jobs:
    """The jobs of one process: a small pool of workers and the recent history."""

    def __init__(self, workers: int = 2, keep: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlmom-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._keep = keep

    def submit(
        self,
        kind: str,
        title: str,
        work: Callable[[Job], Any],
        *,
        project: str | None = None,
        exclusive: str | None = None,
        stoppable: bool = False,
    ) -> Job:
        """Queue ``work(job)``; its return value becomes the job's result. ``stoppable``:
        ``work`` watches ``job.cancel_requested`` and stops when it is set."""
        with self._lock:
            if exclusive:
                self._refuse_if_busy(exclusive)
            job = Job(f"{int(time.time())}-{next(self._ids)}", kind, title, project, exclusive)
            job.stoppable = stoppable
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFound(f"no job {job_id!r} (jobs are kept while the server runs)") from None

    def list(self, project: str | None = None) -> list[Job]:
        """The jobs, newest first; only a project's when ``project`` is given."""
        with self._lock:
            found = [j for j in self._jobs.values() if project is None or j.project == project]
        return sorted(found, key=lambda j: j.created, reverse=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _refuse_if_busy(self, exclusive: str) -> None:
        for other in self._jobs.values():
            if other.exclusive == exclusive and other.status in ACTIVE:
                raise Busy(f"{other.title} is still {other.status} (job {other.id})")

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if j.status not in ACTIVE]
        for job in sorted(done, key=lambda j: j.created)[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[job.id]

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        if not job.begin():  # cancelled while it was queued
            return
        try:
            result = work(job)
        except Cancelled as exc:
            job.end("cancelled", error=error_body(exc))
        except Exception as exc:  # a job reports, it never kills the worker
            if not isinstance(exc, MlmomError):  # a bug: its details go to the log only
                log.exception("job %s (%s) failed", job.id, job.title)
            job.end("failed", error=error_body(exc, f"job {job.id}"))
        else:
            job.end("done", result)


class JobReporter:
    """A pipeline :class:`~mlmom_lab.pipeline.results.Reporter` that reports into a job."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def start(self, run_id: str, stages: list[str]) -> None:
        self.job.write(f"run {run_id}: {len(stages)} stage(s)")
        for stage in stages:
            self.job.step(stage, "waiting")

    def update(self, stage: str, status: str, detail: str = "") -> None:
        self.job.step(stage, status, detail)

    def cells(self, stage: str, done: int, total: int) -> None:
        self.job.progress(stage, done, total)

    def finish(self, result: RunResult) -> None:
        self.job.write(
            f"run {result.run_id} {'finished' if result.ok else 'failed'} in {result.seconds:.1f} s"
        )
