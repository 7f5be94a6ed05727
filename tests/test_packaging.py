"""What `pip install` ships: the lab extension prebuilt and the server extension enabled."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO

BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def listed(*command: str) -> str:
    result = subprocess.run(
        [str(BIN / "jupyter"), *command], capture_output=True, text=True, timeout=120, check=False
    )
    return ANSI.sub("", result.stdout + result.stderr)


def test_both_extensions_are_installed_enabled_and_ok():
    assert re.search(r"mlmom-lab v\S+ enabled\s+OK", listed("labextension", "list"))
    assert re.search(r"mlmom_lab\.server\s+OK", listed("server", "extension", "list"))
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "mlmom-lab"
    assert not installed.is_symlink()  # Voilà refuses a symlinked (develop-mode) extension
    assert list((installed / "static").glob("remoteEntry.*.js"))


def test_the_wheel_ships_the_built_frontend_and_enables_the_server_extension(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("mlmom_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    shared = f"{data}/data/share/jupyter/labextensions/mlmom-lab"
    assert {
        f"{shared}/package.json",
        f"{shared}/install.json",
        f"{data}/data/etc/jupyter/jupyter_server_config.d/mlmom_lab.json",
    } <= set(names)
    assert any(re.fullmatch(rf"{shared}/static/remoteEntry\.\w+\.js", n) for n in names)
    assert f"{shared}/schemas/mlmom-lab/plugin.json" in names  # the settings schema
    assert not any(n.startswith("mlmom_lab/labextension/") for n in names)  # shipped once
    # the dashboards, and the Voilà template they name in their metadata
    assert {
        "mlmom_lab/_example/dashboards/explain.ipynb",
        "mlmom_lab/_example/dashboards/drift.ipynb",
        f"{data}/data/share/jupyter/voila/templates/mlmom/index.html.j2",
    } <= set(names)
