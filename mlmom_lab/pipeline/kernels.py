"""Kernels started ahead of time, so their start overlaps other work.

A kernel takes most of a second to boot. Launching a stage's kernel before its notebook is
due lets the boot happen on another core while this process imports papermill and MLflow,
or while the previous stage is still running. Each stage gets a fresh kernel of its own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path


def launch_kernel(kernel_name: str, cwd: Path, env: dict[str, str]):
    """Start a kernel process now and return its (async) kernel manager."""
    from jupyter_client.manager import AsyncKernelManager

    # IPC sockets: the kernel is local, and TCP would make it warn about plain-text traffic.
    sockets = tempfile.mkdtemp(prefix="mlmom-kernel-")
    km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=sockets + "/kernel")
    km.mlmom_sockets = sockets
    asyncio.run(km.start_kernel(cwd=str(cwd), env={**os.environ, **env}))
    return km


def shutdown_kernel(km) -> None:
    """Stop a kernel that was launched but never used (a run cut short)."""
    async def _stop() -> None:
        if await km.is_alive():
            await km.shutdown_kernel(now=True)
        await km.cleanup_resources()

    try:
        asyncio.run(_stop())
    except Exception:  # noqa: BLE001 - best effort on the way out
        pass
    shutil.rmtree(getattr(km, "mlmom_sockets", ""), ignore_errors=True)
