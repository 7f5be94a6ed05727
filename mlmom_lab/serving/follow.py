"""Every worker follows the deployment file: new versions load and warm, then swap in whole.

The check is a ``stat`` every 0.2 s. A changed file is read; versions not loaded yet load
on a thread (requests keep flowing to the current router meanwhile); then the new router
replaces the old one in a single assignment, so each request sees one or the other, never
half of a change, and none waits or fails. The worker's record then says which generation
it serves (or which it could not apply, and why), for the release that waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .deployment import read
from .rollout import WorkerRecord
from .router import Router

if TYPE_CHECKING:
    from .app import ServingApp
    from .runtime import ModelRuntime

log = logging.getLogger("mlmom.serving")


class Follower:
    def __init__(
        self,
        app: ServingApp,
        path: Path,
        load_version: Callable[[str], ModelRuntime],
        record: WorkerRecord,
        interval: float = 0.2,
    ) -> None:
        self.app, self.path, self.load_version, self.interval = app, path, load_version, interval
        self.record = record
        self._task: asyncio.Task[None] | None = None
        # Unseen: the first look compares the file's generation with the router's, so a
        # change made while this worker was loading is not missed.
        self._seen: tuple[int, int, int] | None = None
        self._failed_seq: int | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.record.close()

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size  # a new file replaces it on every change

    async def _watch(self) -> None:
        while True:
            signature = self._signature()
            if signature != self._seen:
                self._seen = signature
                await self._follow()
            await asyncio.sleep(self.interval)

    async def _follow(self) -> None:
        state = read(self.path)
        current = self.app.router
        if state is None or state.seq == current.deployment.seq or state.seq == self._failed_seq:
            return
        loop = asyncio.get_running_loop()
        runtimes: dict[str, ModelRuntime] = {}
        try:
            for version in state.versions:
                loaded = current.runtimes.get(version)
                if loaded is None:  # new to this worker
                    loaded = await loop.run_in_executor(None, self.load_version, version)
                runtimes[version] = loaded
        except Exception as exc:  # noqa: BLE001 - keep serving what works
            self._failed_seq = state.seq
            reason = f"{type(exc).__name__}: {exc}"
            log.error("deployment %s not applied: %s", state.seq, reason)
            self.record.failed(state.seq, reason)
            return
        for version, runtime in runtimes.items():
            if version not in current.runtimes:
                self.app.metrics.loaded(runtime)
        self.app.router = Router(state, runtimes)
        self.record.serving(state.seq)
