"""Jobs: a queued job is cancelled at once; a running one only when its work can stop, and
then it ends ``cancelled`` with the one error body; finished jobs cannot be cancelled."""

import threading

import pytest

from mlmom_lab.errors import Busy, Cancelled
from mlmom_lab.jobs import Jobs

pytestmark = pytest.mark.unit


def _wait(job, *statuses, timeout=10.0):
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if job.status in statuses:
            return job
        done.wait(0.01)
    raise AssertionError(f"job still {job.status}")


def test_a_queued_job_is_cancelled_and_never_runs():
    jobs, release, ran = Jobs(workers=1), threading.Event(), []
    first = jobs.submit("k", "blocker", lambda job: release.wait(10))
    second = jobs.submit("k", "waiting", lambda job: ran.append(1))
    second.cancel()
    assert second.status == "cancelled" and second.finished is not None
    release.set()
    _wait(first, "done")
    jobs._pool.shutdown(wait=True)  # the worker has taken the cancelled job and skipped it
    assert not ran and second.status == "cancelled" and second.started is None


def test_a_running_job_stops_only_when_its_work_watches_the_request():
    jobs, started = Jobs(), threading.Event()

    def stoppable(job):
        started.set()
        job.cancel_requested.wait(10)
        raise Cancelled("stopped on request")

    job = jobs.submit("k", "long", stoppable, stoppable=True)
    started.wait(10)
    job.cancel()
    _wait(job, "cancelled")
    assert job.error == {"error": "stopped on request", "code": "cancelled"}
    with pytest.raises(Busy, match=r"already ended \(cancelled"):
        job.cancel()

    release = threading.Event()
    plain = jobs.submit("k", "a check", lambda job: release.wait(10))
    _wait(plain, "running")
    with pytest.raises(Busy, match="cannot be stopped once it runs"):
        plain.cancel()
    release.set()
    _wait(plain, "done")
    jobs.shutdown()
