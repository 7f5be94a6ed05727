"""Starting ``mlmom serve`` as a separate process and waiting until it answers.

Used by the demo, the tests and the benchmarks, so all three start the server the way a
user does. The server's output goes to a temporary file (a pipe nobody reads could fill up
and stall it); when it never gets ready, the error carries the end of that output.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    timeout: float = 120.0,
    context: ssl.SSLContext | None = None,
) -> bool:
    """True once ``url`` answers; False if the process exits or ``timeout`` passes first."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            urllib.request.urlopen(url, timeout=2, context=context)
            return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.2)
    return False


def start_server(
    root: str | Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    context: ssl.SSLContext | None = None,
    log_path: Path | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """``mlmom serve --port <free> ARGS`` in ``root``; returns the process and its port.

    With TLS among ``args``, ``context`` is the client side that trusts the certificate. The
    server's output goes to ``log_path`` when given (a server that outlives its caller), else
    to a temporary file.
    """
    port = free_port()
    # the server writes to it for as long as it runs: closed by whoever stops it
    log = open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mlmom_lab.cli import main; main()",
            "serve",
            "--port",
            str(port),
            *args,
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    scheme = "https" if context is not None else "http"
    if not wait_until_ready(f"{scheme}://127.0.0.1:{port}/ping", proc, timeout, context):
        proc.terminate()
        proc.wait(timeout=30)
        log.seek(0)
        raise RuntimeError(f"mlmom serve never answered on port {port}:\n{log.read()[-3000:]}")
    proc.output = log  # type: ignore[attr-defined]  # the server's output, to read later
    return proc, port


def output_of(proc: subprocess.Popen[bytes]) -> str:
    """Everything a server started by :func:`start_server` has printed so far."""
    output: IO[str] = proc.output  # type: ignore[attr-defined]  # set by start_server
    output.seek(0)
    return output.read()
