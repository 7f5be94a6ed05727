"""A pure computation run in a forked child while this process goes on with other work.

Registering a model does several CPU-bound things that hold the GIL (TreeSHAP in C++, the ONNX
conversion in Python), so threads cannot overlap them; a spawned process would spend longer
importing than it saves. A forked child starts with everything already in memory.

Forking a process that has threads (a Jupyter kernel, a server) is safe only for a child that
touches nothing those threads may hold, so ``compute`` must be *pure*: numbers in, numbers out,
from memory the child inherits — no model's own code (its OpenMP pool, a booster's threads),
no I/O, no logging. The child collects no garbage (the parent's objects are not its to free),
closes the parent's files, writes its pickled answer to a pipe and leaves with ``os._exit``
(no atexit handlers, no flushing the parent's buffers).

Whatever goes wrong in the child (an error, a crash, silence past ``timeout``), ``result()``
computes the answer here instead: the same function on the same inputs, so the answer is the
same either way, only later. Forking happens on Linux only; ``MLMOM_FORK=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable
from typing import Generic, Self, TypeVar

T = TypeVar("T")
logger = logging.getLogger("mlmom.forked")
TIMEOUT_S = 180.0  # the longest a child may take before it is stopped and computed here instead


def available() -> bool:
    """Whether a computation may run in a forked child here (Linux, not turned off)."""
    return sys.platform == "linux" and os.environ.get("MLMOM_FORK", "1") != "0"


class Pending(Generic[T]):
    """The answer of ``compute``: from the child when it gives one, else computed here."""

    def __init__(
        self,
        compute: Callable[[], T],
        *,
        fork: bool = True,
        nice: int = 0,
        timeout: float = TIMEOUT_S,
    ) -> None:
        """``compute`` starts in a child now when ``fork`` (and :func:`available`), else it
        runs here when the result is asked for. A child whose answer is wanted well after
        this process's own work gives way to it by ``nice`` (the child's scheduling niceness,
        added to this process's): this process's work is what the caller waits for."""
        self._compute = compute
        self._timeout = timeout
        self._pid: int | None = None
        self._pipe: int | None = None
        self.forked = False  # whether the answer came from the child (for tests and figures)
        if fork and available():
            self._start(nice)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def result(self) -> T:
        """The child's answer, or the computation's here if the child gave none (ask once)."""
        data = self._collect()
        if data is not None:
            with contextlib.suppress(Exception):  # a torn answer is no answer: compute it here
                answer: T = pickle.loads(data)
                self.forked = True
                return answer
        return self._compute()

    def close(self) -> None:
        """Stop the child if it still runs (an error before ``result()`` was asked for)."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
        self._reap()

    def _start(self, nice: int) -> None:
        read, write = os.pipe()
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of any fork beside threads
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:  # no room for a child (memory, process limits): compute here
            os.close(read)
            os.close(write)
            return
        if pid == 0:
            os.close(read)
            _child(self._compute, write, nice)  # never returns
        os.close(write)
        self._pid, self._pipe = pid, read

    def _collect(self) -> bytes | None:
        """The child's bytes once it exited 0, else None (the child is reaped either way)."""
        if self._pipe is None:
            return None
        chunks: list[bytes] = []
        deadline = time.monotonic() + self._timeout
        waiting = select.poll()  # not select(): a server's descriptors may number past 1024
        waiting.register(self._pipe, select.POLLIN)
        while (left := deadline - time.monotonic()) > 0:
            if not waiting.poll(left * 1000):
                break
            chunk = os.read(self._pipe, 1 << 20)
            if not chunk:  # the child closed its end: it is done
                return b"".join(chunks) if self._reap() == 0 else None
            chunks.append(chunk)
        logger.warning(
            "a forked child gave no answer in %.0f s: computing it here (MLMOM_FORK=0 does not fork)",
            self._timeout,
        )
        self.close()
        return None

    def _reap(self) -> int | None:
        """Wait for the child and close the pipe; the child's exit code."""
        code = None
        if self._pid is not None:
            try:
                _, status = os.waitpid(self._pid, 0)
                code = os.waitstatus_to_exitcode(status)
            except ChildProcessError:  # reaped by a SIGCHLD handler: its code is unknown
                pass
            self._pid = None
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        return code


def _child(compute: Callable[[], object], pipe: int, nice: int) -> None:
    """Run in the forked child: compute, write the pickled answer, leave at once."""
    # No garbage collection here: it would free the parent's unreachable objects, whose
    # destructors may wait on the parent's threads (an ONNX Runtime session's pool hangs in
    # pthread_cond_destroy). The child is short-lived; its memory goes when it exits.
    gc.disable()
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # nothing printed here may reach the parent's streams
            os.dup2(devnull, fd)
        sys.stdout = sys.stderr = open(1, "w", closefd=False)  # noqa: SIM115 - to the end
        os.closerange(3, pipe)  # the parent's sockets and files are not the child's to hold
        os.closerange(pipe + 1, max(pipe + 1, os.sysconf("SC_OPEN_MAX")))
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # a server's handler is not the child's
                signal.signal(number, signal.SIG_DFL)
        warnings.simplefilter("ignore")
        os.nice(nice)
        data = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(pipe, view) :]
        code = 0
    finally:
        os._exit(code)
