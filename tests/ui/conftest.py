"""A real JupyterLab on a copy of the example project, driven by Debian's Chromium through
Python Playwright. Screenshots of every panel land in ``test-artifacts/ui/`` (or
``$MLMOM_TEST_ARTIFACTS``), kept as the tests' artifacts."""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mlmom_lab.serving.launch import free_port

from ..conftest import REPO
from ..helpers import get_when_up, notebook, own_copy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
expect.set_options(timeout=90_000)  # assertions that wait: a guard against a hang, not a clock
ARTIFACTS = Path(os.environ.get("MLMOM_TEST_ARTIFACTS", REPO / "test-artifacts")) / "ui"
# stack notes: these keep headless Chromium quiet, offline and inside a container's limits
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# pytest-jupyter's autouse fixtures get an asyncio loop and close it after each test; here
# Playwright's sync API runs its own loop on the main thread, which they would find and try
# to close ("Cannot close a running event loop"). JupyterLab runs in a subprocess instead.
@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    yield


@pytest.fixture(scope="package")
def lab_root(example_run, tmp_path_factory):
    """The lab's root: the example project (run, with a champion) in ``churn/``, and a
    folder that is not a project."""
    project, _ = example_run
    root = tmp_path_factory.mktemp("lab")
    own_copy(project, root / "churn")
    (root / "elsewhere").mkdir()
    notebook(root / "elsewhere" / "hello.ipynb", "", "print('hello from voila')")
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project

    # a second version (the challenger), so there is something to promote and canary
    assert run_pipeline(load_project(root / "churn"), start="register").ok
    return root


def _quiet_settings(folder: Path) -> Path:
    """User settings without the 'Jupyter news' toast, for clean screenshots."""
    target = folder / "@jupyterlab" / "apputils-extension"
    target.mkdir(parents=True)
    (target / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    return folder


@pytest.fixture(scope="package")
def lab(lab_root, tmp_path_factory):
    """``{"url", "token", "root"}`` of a JupyterLab started as `mlmom lab` starts it."""
    token, port = secrets.token_hex(16), free_port()
    state = tmp_path_factory.mktemp("lab-state")
    log = open(state / "lab.log", "w+")  # noqa: SIM115 - the lab's, while it runs
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={lab_root}",
            f"--IdentityProvider.token={token}",
            f"--LabApp.user_settings_dir={_quiet_settings(state / 'settings')}",
            f"--LabApp.workspaces_dir={state / 'workspaces'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLMOM_LAB_OPEN_SIDEBAR": "1", "JUPYTER_CONFIG_DIR": str(state / "cfg")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        get_when_up(f"{url}/api/status?token={token}", proc, log)
        yield {"url": url, "token": token, "root": lab_root, "log": log}
    finally:
        proc.terminate()
        proc.wait(timeout=120)


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is needed: apt-get install -y "
        "chromium fonts-dejavu-core (the README's test command "
        "installs it)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, lab):
    """JupyterLab open in a fresh page, the mlmom sidebar showing the example project.
    Console errors of our extension fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(90_000)  # a guard against a hang, generous on a busy machine
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # ?reset: a fresh workspace, not the notebooks an earlier test left open (tests run in
    # any order, and the sidebar follows the open notebook's project)
    page.goto(f"{lab['url']}/lab?reset&token={lab['token']}")
    page.wait_for_selector("#mlmom-lab-sidebar .mlmom-project", timeout=90_000)
    yield page
    context.close()
    ours = [e for e in errors if "mlmom" in e.lower()]
    assert not ours, ours


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def use_theme(lab, name: str) -> None:
    """Switch the lab's theme ("JupyterLab Dark"), as the Settings menu does: through the
    settings API, for every page loaded after it."""
    import urllib.request

    themes = "@jupyterlab/apputils-extension:themes"
    url = f"{lab['url']}/lab/api/settings/{themes}?token={lab['token']}"
    body = json.dumps({"raw": json.dumps({"theme": name})}).encode()
    urllib.request.urlopen(urllib.request.Request(url, body, method="PUT")).read()
