"""A pure computation in a forked child: the same answer as here, whatever happens to the
child, and nothing of the child left behind."""

import os
import select
import time

import numpy as np
import pytest

from mlmom_lab.forked import Pending

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def in_child() -> bool:
    return os.getpid() != PARENT


PARENT = os.getpid()


def test_the_child_answers_and_is_reaped():
    values = np.random.default_rng(0).normal(size=(300, 8))
    pending = Pending(lambda: (values * 2, os.getpid()))
    pid = pending._pid
    assert pid is not None
    doubled, answered_by = pending.result()
    assert pending.forked and answered_by == pid != os.getpid()
    np.testing.assert_array_equal(doubled, values * 2)
    assert gone(pid)


def test_a_child_that_fails_is_computed_here():
    def compute():
        if in_child():
            raise RuntimeError("only in the child")
        return "here"

    pending = Pending(compute)
    assert pending.result() == "here" and not pending.forked


def test_a_child_silent_past_its_timeout_is_stopped_and_computed_here(caplog):
    def compute():
        if in_child():
            time.sleep(60)
        return "here"

    pending = Pending(compute, timeout=0.5)
    pid = pending._pid
    began = time.monotonic()
    assert pending.result() == "here" and not pending.forked
    assert time.monotonic() - began < 10 and gone(pid)
    assert "a forked child gave no answer in 0 s: computing it here" in caplog.text


def test_closing_before_the_result_stops_the_child():
    with Pending(lambda: time.sleep(60)) as pending:
        pid = pending._pid
    assert pid is not None and gone(pid)


def test_the_child_holds_none_of_the_parents_files():
    read, write = os.pipe()  # as a socket the parent closes would be
    with Pending(lambda: time.sleep(60)):
        os.close(write)  # the end of file comes now, not when the child ends
        assert select.select([read], [], [], 10)[0] and os.read(read, 1) == b""
    os.close(read)


def test_what_the_child_prints_reaches_nobody(capfd):
    def compute():
        if in_child():
            print("from the child")
        return "done"

    pending = Pending(compute)
    assert pending.result() == "done" and pending.forked
    assert "from the child" not in capfd.readouterr().out


def test_the_parents_signal_handlers_are_not_the_childs(tmp_path):
    """A server's SIGTERM handler would shut the server down: in the child it must not run."""
    import signal

    started = tmp_path / "started"

    def compute():
        started.touch()
        time.sleep(60)

    before = signal.signal(signal.SIGTERM, lambda *_: os.write(2, b"the parent's handler"))
    try:
        with Pending(compute) as pending:
            pid = pending._pid
            while not started.exists():  # its handlers are set before it computes
                time.sleep(0.01)
            os.kill(pid, signal.SIGTERM)
            _, status = os.waitpid(pid, 0)
            pending._pid = None  # reaped here
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, before)


def test_the_child_collects_none_of_the_parents_garbage():
    """A collection in the child would free the parent's unreachable objects: an ONNX Runtime
    session among them hung a child for good in pthread_cond_destroy (its pool's threads
    exist only in the parent)."""
    import gc

    pending = Pending(gc.isenabled)
    assert gc.isenabled() and pending.result() is False and pending.forked


def test_forking_is_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("MLMOM_FORK", "0")
    pending = Pending(os.getpid)
    assert pending._pid is None and pending.result() == os.getpid() and not pending.forked


def test_not_forked_it_computes_only_when_asked():
    calls = []
    pending = Pending(lambda: calls.append(1) or len(calls), fork=False)
    assert calls == [] and pending.result() == 1
