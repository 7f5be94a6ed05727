"""Kernels started ahead of time, so their start overlaps other work.

A kernel takes most of a second to boot. Launching a stage's kernel before its notebook is
due lets the boot happen on another core while this process imports papermill and MLflow,
or while the previous stage is still running. Each stage gets a fresh kernel of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager


def _manager_class() -> type[AsyncKernelManager]:
    from jupyter_client.manager import AsyncKernelManager

    class StageKernel(AsyncKernelManager):
        """A kernel manager that remembers its clients, to close them with the kernel."""

        # AsyncKernelManager narrows KernelManager's client the same way (and ignores it too)
        def client(self, **kwargs: Any) -> AsyncKernelClient:  # type: ignore[override]
            kc = super().client(**kwargs)
            self.__dict__.setdefault("mlmom_clients", []).append(kc)
            return kc

    return StageKernel


def _run(coroutine: Coroutine[Any, Any, object]) -> None:
    """Run a coroutine to its end, also from a thread whose event loop is running.

    Inside Jupyter (a notebook calling ``run_pipeline``, the server extension) the calling
    thread already runs a loop, where ``asyncio.run`` is refused: use a thread of our own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def launch_kernel(kernel_name: str, cwd: Path, env: dict[str, str]) -> AsyncKernelManager:
    """Start a kernel process now and return its (async) kernel manager."""
    # IPC sockets: the kernel is local, and TCP would make it warn about plain-text traffic.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        installed = ", ".join(sorted(KernelSpecManager().find_kernel_specs())) or "none"
        raise LookupError(f"no kernel named {kernel_name!r} (installed: {installed})") from None
    sockets = tempfile.mkdtemp(prefix="mlmom-kernel-")
    km = _manager_class()(kernel_name=kernel_name, transport="ipc", ip=sockets + "/kernel")
    km.__dict__["mlmom_sockets"] = sockets
    try:
        # jupyter_client types it as an Awaitable; it is the coroutine of an async def
        starting = km.start_kernel(cwd=str(cwd), env={**os.environ, **env})
        _run(cast("Coroutine[Any, Any, None]", starting))
    except BaseException:
        _close_context(km)
        shutil.rmtree(sockets, ignore_errors=True)
        raise
    return km


def kill_kernel(km: AsyncKernelManager) -> None:
    """Kill a kernel's processes from any thread, touching nothing else of it.

    Its manager and client sockets belong to the thread that runs the notebook (ZeroMQ
    sockets are not thread-safe: closing them under that thread's poll can hang both), and
    that thread sees the kernel die within a second and ends the stage, then closes them.
    """
    import signal

    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None:
        return
    try:
        pgid = getattr(provisioner, "pgid", None)
        if pgid and hasattr(os, "killpg") and pgid != os.getpgid(0):
            os.killpg(pgid, signal.SIGKILL)  # the kernel's session: what its cells started too
        else:
            process.kill()
    except OSError:
        pass  # gone already


def shutdown_kernel(km: AsyncKernelManager) -> None:
    """Stop a kernel, close its clients' channels and remove its sockets."""

    async def _stop() -> None:
        try:
            if await km.is_alive():
                await km.shutdown_kernel(now=True)
        finally:
            await km.cleanup_resources()

    for kc in km.__dict__.get("mlmom_clients", []):
        kc.stop_channels()
    with contextlib.suppress(Exception):  # best effort on the way out
        _run(_stop())
    _close_context(km)
    shutil.rmtree(km.__dict__.get("mlmom_sockets", ""), ignore_errors=True)


def _close_context(km: AsyncKernelManager) -> None:
    """Close the ZeroMQ context the manager made, whatever stopped before. One left open is
    destroyed by the garbage collector, which can hang for good (seen in a test run): a cycle
    collected may have the context destroyed before its sockets are closed."""
    if getattr(km, "_created_context", False):
        with contextlib.suppress(Exception):
            if not km.context.closed:
                km.context.destroy(linger=0)
