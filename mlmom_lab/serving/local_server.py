"""The project's local model server, started and stopped from the lab (or any caller).

``start`` runs ``mlmom serve`` as a process of its own on a free port of 127.0.0.1 and records
it in ``.mlmom/server.json`` (pid, port, URL, who started it); its output goes to
``.mlmom/server.log``. ``status`` trusts that record only while the process lives and answers
``/ping``: a server that died, or was stopped elsewhere, reads as stopped and its record is
dropped. One server per project: starting a second is refused while the first runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from typing import Any

from ..errors import Busy, NotFound
from ..files import write_json
from ..project import Project
from .settings import ServingSettings

FILE = "server.json"
LOG = "server.log"
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # started here: reaped here, not left as zombies


def start(
    project: Project, *, who: str = "", settings: ServingSettings | None = None
) -> dict[str, Any]:
    """Start the project's server and wait until it answers; its record. ``settings`` (the
    lab's, from its Jupyter config) are passed on as ``mlmom serve`` options."""
    from . import deployment
    from .launch import start_server

    if status(project)["running"]:
        raise Busy(f"the server of {project.spec.project} already runs: stop it first")
    deployment.current(project)  # no champion: the core's one-line error, before a process
    project.state_dir.mkdir(parents=True, exist_ok=True)
    args, env = _command_line(settings) if settings else ([], {})
    proc, port = start_server(project.root, *args, env=env, log_path=project.state_dir / LOG)
    _CHILDREN[proc.pid] = proc
    record = {
        "pid": proc.pid,
        "port": port,
        "url": f"http://127.0.0.1:{port}",
        "started_at": time.time(),
        "started_by": who,
    }
    write_json(project.state_dir / FILE, record)
    return {**record, "running": True}


def _command_line(settings: ServingSettings) -> tuple[list[str], dict[str, str]]:
    """``mlmom serve`` options for the settings the lab's config sets (the others are left to
    ``mlmom serve``'s own config files), and the API keys as the environment: a secret on a
    command line is visible to every user of the machine. The lab's server answers on
    127.0.0.1 over plain HTTP: the TLS settings are for ``mlmom serve`` itself."""
    s, given = settings, settings.configured()
    options = {
        "workers": ("--workers", s.workers),
        "providers": ("--providers", ",".join(s.providers)),
        "max_body_bytes": ("--max-body", s.max_body_bytes),
        "max_batch_size": ("--max-batch-size", s.max_batch_size),
        "max_wait_ms": ("--max-wait-ms", s.max_wait_ms),
        "log_durability": ("--log-durability", s.log_durability),
        "onnx_threads": ("--onnx-threads", s.onnx_threads),
        "api_keys_file": ("--api-keys-file", s.api_keys_file and os.path.abspath(s.api_keys_file)),
    }
    args = [str(part) for name, (flag, value) in options.items() if name in given
            and value is not None for part in (flag, value)]  # fmt: skip
    args += (["--native"] if s.native else ["--no-native"]) if "native" in given else []
    return args, {"MLMOM_API_KEYS": s.api_keys} if s.api_keys else {}


def stop(project: Project, timeout: float = 30.0) -> dict[str, Any]:
    """Stop the project's server (SIGTERM, then SIGKILL after ``timeout``)."""
    record = _record(project)
    if record is None or not _alive(record["pid"]):
        _forget(project)
        raise NotFound(f"no server of {project.spec.project} is running")
    os.kill(record["pid"], signal.SIGTERM)
    if not _wait_exit(record["pid"], timeout):
        os.kill(record["pid"], signal.SIGKILL)
        _wait_exit(record["pid"], 5.0)
    _forget(project)
    return {**record, "running": False}


def status(project: Project) -> dict[str, Any]:
    """``{"running": bool, ...the record}``; a stale record is dropped."""
    record = _record(project)
    if record is None:
        return {"running": False}
    if _alive(record["pid"]) and _answers(record["url"]):
        return {**record, "running": True}
    if not _alive(record["pid"]):
        _forget(project)
        return {"running": False}
    return {**record, "running": False, "starting": True}  # alive, not answering yet


def _record(project: Project) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads((project.state_dir / FILE).read_text())
        return record
    except (OSError, ValueError):
        return None


def _forget(project: Project) -> None:
    (project.state_dir / FILE).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _CHILDREN.pop(pid, None)  # another thread may have reaped it just now
        child.output.close()  # type: ignore[attr-defined]  # its log file (launch.start_server)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2):
            return True
    except OSError:
        return False


def _wait_exit(pid: int, timeout: float) -> bool:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False
