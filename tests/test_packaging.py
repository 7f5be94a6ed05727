"""What `pip install` ships: the lab extension prebuilt and the server extension enabled, in
this (editable) environment and in binder's, where a plain `pip install .` built the wheel."""

import re
import subprocess
import sys
from pathlib import Path

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


def test_a_pip_install_ships_the_built_frontend_once_and_enables_the_server_extension(
    binder_build,
):
    """What a wheel puts where, read in the environment binder/postBuild installed with a
    plain (not editable) ``pip install``: pip built that wheel from the repository."""
    venv = binder_build.venv
    (site,) = venv.glob("lib/python3*/site-packages")
    shared = venv / "share" / "jupyter" / "labextensions" / "mlmom-lab"
    for path in (
        shared / "package.json",
        shared / "install.json",
        shared / "schemas" / "mlmom-lab" / "plugin.json",  # the settings schema
        venv / "etc" / "jupyter" / "jupyter_server_config.d" / "mlmom_lab.json",
        # the dashboards, and the Voilà template they name in their metadata
        site / "mlmom_lab" / "_example" / "dashboards" / "explain.ipynb",
        site / "mlmom_lab" / "_example" / "dashboards" / "drift.ipynb",
        venv / "share" / "jupyter" / "voila" / "templates" / "mlmom" / "index.html.j2",
    ):
        assert path.is_file(), f"pip install did not ship {path.relative_to(venv)}"
    assert list((shared / "static").glob("remoteEntry.*.js"))
    assert not (site / "mlmom_lab" / "labextension").exists()  # shipped once, as shared data
