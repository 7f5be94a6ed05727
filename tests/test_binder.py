"""binder/: what mybinder.org builds and starts, run the way repo2docker runs it.

binder/postBuild runs in a fresh copy of the repository and a fresh environment (the session's
``binder_build``, see tests/binder.py); then binder/start starts JupyterLab, which must serve
our extension on the demo it left behind (registry, deployment, drift history) with the model
server start launched in the background.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from mlmom_lab.serving.launch import free_port

from .binder import ANSI, DEMO, tail
from .helpers import get_when_up

pytestmark = pytest.mark.slow


def binder_command(env: dict, home: Path, *command: str) -> str:
    result = subprocess.run(
        list(command), cwd=home, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{tail(output)}"
    return output


def test_binder_builds_the_demo_and_starts_the_lab_on_it(binder_build, tmp_path):
    home, venv, env = binder_build.home, binder_build.venv, binder_build.env
    check_the_build(home, venv, env, binder_build.demo)
    check_the_start(home, env, tmp_path)


def check_the_build(home: Path, venv: Path, env: dict, demo: Path) -> None:
    installed = venv / "share" / "jupyter" / "labextensions" / "mlmom-lab"
    assert list((installed / "static").glob("remoteEntry.*.js")) and not installed.is_symlink()
    assert re.search(
        r"mlmom-lab v\S+ enabled\s+OK", binder_command(env, home, "jupyter", "labextension", "list")
    )
    servers = binder_command(env, home, "jupyter", "server", "extension", "list")
    assert re.search(r"mlmom_lab\.server\s+enabled", servers)
    assert re.search(r"mlmom_lab\.server\s+OK", servers)
    # the demo ran to its end where the lab's tree/ URL finds it
    versions = json.loads(
        binder_command(env, home, "mlmom", "registry", "list", "--json", "-C", str(demo))
    )
    assert [v["version"] for v in versions] == ["3", "2", "1"]
    assert [v["version"] for v in versions if "champion" in v["aliases"]] == ["3"]
    alerts = json.loads(
        binder_command(env, home, "mlmom", "monitor", "alerts", "--json", "-C", str(demo))
    )
    assert any(a["rule"] == "charges-drift" for a in alerts)
    assert (demo / ".mlmom" / "monitoring" / "history.jsonl").stat().st_size > 0
    assert (demo / ".mlmom" / "predictions.db").is_file()
    # no build leftovers in the image
    for leftover in (
        "labextension/node_modules",
        "labextension/lib",
        "labextension/.yarn",
        "mlmom_lab/labextension",
    ):
        assert not (home / leftover).exists(), f"postBuild left {leftover} in the image"
    assert not list(venv.glob("lib/python3*/site-packages/uv")), "postBuild left uv installed"


def check_the_start(home: Path, env: dict, tmp_path: Path) -> None:
    token, port = secrets.token_hex(8), free_port()
    command = [
        "./binder/start",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    with open(tmp_path / "start.log", "w+") as log:
        # its own process group: the lab, and the model server start left running, end with it
        proc = subprocess.Popen(
            command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            check_the_lab(Lab(f"http://127.0.0.1:{port}", token, proc, log), home / DEMO)
        except (AssertionError, OSError) as failure:
            log.seek(0)
            raise AssertionError(
                f"{failure}\n--- binder/start's output:\n{tail(log.read())}"
            ) from failure
        finally:
            end_process_group(proc)


class Lab:
    """The JupyterLab that binder/start started, asked over HTTP with its token."""

    def __init__(self, url: str, token: str, proc: subprocess.Popen, log) -> None:
        self.url, self.token, self.proc, self.log = url, token, proc, log

    def page(self, path: str) -> str:
        return get_when_up(f"{self.url}{path}?token={self.token}", self.proc, self.log, timeout=120)

    def json(self, path: str, method: str = "GET") -> dict:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=b"{}" if method == "POST" else None,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def check_the_lab(lab: Lab, demo: Path) -> None:
    page = lab.page("/lab")
    assert '"mlmomOpenSidebar": true' in page  # start set MLMOM_LAB_OPEN_SIDEBAR
    argv = Path(f"/proc/{lab.proc.pid}/cmdline").read_bytes().split(b"\0")
    assert not any(a.endswith(b"binder/start") for a in argv), argv  # start exec'd "$@"
    schema = lab.json("/lab/api/settings/mlmom-lab:plugin")["schema"]
    assert schema["properties"]["defaultProject"]["default"] == DEMO  # the sidebar opens on it
    project = lab.json(f"/mlmom/api/project?path={DEMO}")
    assert (project["project"], project["root"]) == ("churn-demo", DEMO)
    registry = lab.json(f"/mlmom/api/registry?path={DEMO}")
    assert [v["version"] for v in registry["versions"] if "champion" in v["aliases"]] == ["3"]
    monitoring = lab.json(f"/mlmom/api/monitoring?path={DEMO}")
    assert monitoring["alerts"] and monitoring["history"]
    server = wait_for_the_model_server(lab, demo)
    assert server["started_by"] == "binder" and server["deployment"]["champion"] == "3"
    with urllib.request.urlopen(f"{server['url']}/ping", timeout=60):
        pass
    # the lab's Stop button stops it, and it does not linger as a zombie of the lab
    assert lab.json(f"/mlmom/api/server/stop?path={DEMO}", method="POST")["running"] is False
    assert wait_until_gone(server["pid"], 60), f"the model server {server['pid']} lingers"
    assert lab.json(f"/mlmom/api/server?path={DEMO}")["running"] is False


def wait_for_the_model_server(lab: Lab, demo: Path, timeout: float = 120) -> dict:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        server = lab.json(f"/mlmom/api/server?path={DEMO}")
        if server["running"]:
            return server
        time.sleep(1)
    started = demo / ".mlmom" / "binder-start.log"
    raise AssertionError(
        "the model server binder/start launched never ran:\n"
        + (started.read_text() if started.exists() else "(no binder-start.log)")
    )


def wait_until_gone(pid: int, timeout: float) -> bool:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def end_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM to everything start launched, SIGKILL to whatever is left after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        began = time.monotonic()
        while time.monotonic() - began < grace:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    proc.wait(timeout=120)
