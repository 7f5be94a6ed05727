"""``mlmom lab``: JupyterLab on a project, with our server extension and the sidebar set to
open; a folder that is not a project is one line and exit 1."""

import json
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mlmom_lab.serving.launch import free_port

from ..helpers import get_when_up, own_copy

MLMOM = str(Path(sys.executable).with_name("mlmom"))


@pytest.mark.parametrize(
    "folder, named",
    [
        ("no-such-folder", "run `mlmom demo no-such-folder`"),
        (".", "create a project with `mlmom init .`"),
    ],
)
def test_a_folder_that_is_not_a_project_is_one_line(tmp_path, folder, named):
    result = subprocess.run(
        [MLMOM, "lab", folder, "--no-browser"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_mlmom_lab_serves_the_project_with_the_sidebar_open(example_run, tmp_path):
    project, _ = example_run
    root = tmp_path / "demo"
    own_copy(project, root)
    token, port = secrets.token_hex(8), free_port()
    log = open(tmp_path / "lab.log", "w+")  # noqa: SIM115 - the lab's, while it runs
    proc = subprocess.Popen(
        [
            MLMOM,
            "lab",
            str(root / "train.ipynb").rsplit("/", 1)[0],
            "--no-browser",
            f"--port={port}",
            "--",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            "PATH": str(Path(sys.executable).parent),
            "HOME": str(tmp_path),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        },
    )
    try:
        page = get_when_up(f"http://127.0.0.1:{port}/lab?token={token}", proc, log)
        assert '"mlmomOpenSidebar": true' in page  # the frontend opens the sidebar
        answer = json.loads(
            get_when_up(f"http://127.0.0.1:{port}/mlmom/api/project?token={token}", proc, log)
        )
        assert (answer["project"], answer["root"]) == ("churn-demo", ".")  # the root's project
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    # `mlmom lab` became JupyterLab: stopping it stopped the server, none is left behind
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
