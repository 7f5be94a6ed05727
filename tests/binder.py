"""What mybinder.org builds, run the way repo2docker runs it (tests/test_binder.py checks
it; the README's demo tests read the demo it leaves).

A fresh copy of the repository (what a clone of a commit holding the working tree has) is both
$HOME and $REPO_DIR, as in the image; a fresh virtual environment stands in for the image's
conda environment, first on PATH; the machine's download caches stand in for the network
(``download_caches``). binder/postBuild runs there, from the repository root: it
installs mlmom-lab (not editable, the frontend built as it installs) and runs `mlmom demo`.
Minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BUILD_TIMEOUT_S = 1200
DEMO = "mlmom-demo"  # the badge's urlpath=lab/tree/mlmom-demo, relative to the repository


def copy_of_the_repository(dest: Path) -> Path:
    """Tracked files and untracked ones git does not ignore, as they are now (no build
    outputs, no node_modules). A demo folder someone ran in the checkout is left out."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    for name in filter(None, names.decode().split("\0")):
        source = REPO / name
        if name.startswith(f"{DEMO}/") or not (source.exists() or source.is_symlink()):
            continue  # a deleted file git still tracks
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name, follow_symlinks=False)
    return dest


def image_environment(home: Path, venv: Path) -> dict[str, str]:
    """The variables repo2docker sets ($HOME = $REPO_DIR), the fresh environment first on PATH
    and this test's own environment off it, so nothing resolves to what is installed here."""
    ours = {str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in ours]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHON", "JUPYTER", "CONDA", "XDG_", "MLMOM_"))
    }
    env.update(
        HOME=str(home),
        REPO_DIR=str(home),
        NO_COLOR="1",
        COLUMNS="200",
        PATH=os.pathsep.join([str(venv / "bin"), *path]),
        # postBuild compiles every installed module to bytecode (~40 CPU-s here); the demo
        # compiles the ones it imports as it imports them (PYTHONDONTWRITEBYTECODE, set on some
        # machines, is among the variables left out above). Only that bytecode differs.
        UV_COMPILE_BYTECODE="0",
    )
    env.update(download_caches())
    # pip's user configuration (the index to use) lives in the real $HOME: keep it
    user_pip = [
        p
        for p in (Path.home() / ".config/pip/pip.conf", Path.home() / ".pip/pip.conf")
        if p.is_file()
    ]
    if user_pip and "PIP_CONFIG_FILE" not in env:
        env["PIP_CONFIG_FILE"] = str(user_pip[0])
    return env


def download_caches() -> dict[str, str]:
    """This machine's download caches, where it has them: uv's packages (the test command's
    own install filled it), pip's (for uv itself) and the frontend's npm packages
    (labextension/.yarn/cache, filled by the editable install). The build installs exactly
    what it would without them, only without downloading it all again; mybinder has none,
    and postBuild removes its own."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    uv = Path(os.environ.get("UV_CACHE_DIR") or Path(xdg) / "uv")
    pip = Path(os.environ.get("PIP_CACHE_DIR") or Path(xdg) / "pip")
    yarn = REPO / "labextension" / ".yarn" / "cache"
    found = {"UV_CACHE_DIR": uv, "PIP_CACHE_DIR": pip, "YARN_CACHE_FOLDER": yarn}
    return {name: str(path) for name, path in found.items() if path.is_dir()}


def run_logged(command: list[str], log: Path, timeout: float, **kwargs) -> tuple[int, str]:
    """Run ``command`` with its output in ``log``; its exit status and output."""
    with open(log, "w") as out:
        try:
            code = subprocess.run(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                **kwargs,
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
    return code, ANSI.sub("", log.read_text(errors="replace"))


def tail(text: str, chars: int = 6000) -> str:
    return text[-chars:]


@dataclass
class Build:
    home: Path  # the repository copy, $HOME and $REPO_DIR
    venv: Path
    env: dict[str, str]
    output: str  # what postBuild printed: the demo's story among it

    @property
    def demo(self) -> Path:
        return self.home / DEMO


def build(tmp_path: Path) -> Build:
    """The repository copy after postBuild, the environment it ran in and what it printed."""
    home = copy_of_the_repository(tmp_path / "jovyan")
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = image_environment(home, venv)
    for script in ("postBuild", "start"):  # repo2docker makes them executable first
        (home / "binder" / script).chmod(0o755)
    began = time.monotonic()
    code, output = run_logged(
        ["./binder/postBuild"], tmp_path / "postBuild.log", BUILD_TIMEOUT_S, cwd=home, env=env
    )
    assert code == 0, (
        f"binder/postBuild {'timed out' if code == -1 else f'exited {code}'} "
        f"after {time.monotonic() - began:.0f} s:\n{tail(output)}"
    )
    return Build(home, venv, env, output)
