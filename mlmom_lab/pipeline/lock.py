"""One pipeline run at a time per project: two runs would write the same outs at once."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Busy
from ..project import Project


@contextmanager
def project_lock(project: Project) -> Iterator[None]:
    """Hold the project's run lock, or fail at once naming the process that holds it."""
    project.state_dir.mkdir(parents=True, exist_ok=True)
    path = project.state_dir / "run.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip()
            holder = f" (pid {pid})" if pid else ""
            raise Busy(
                f"another pipeline run is in progress in {project.root}{holder}; "
                "wait for it to finish"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
