"""``mlmom lab``: JupyterLab on a project, with the mlmom sidebar open on it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import cli

OPEN_SIDEBAR = "MLMOM_LAB_OPEN_SIDEBAR"  # read by the server extension (page config)


def project_root(folder: str) -> Path:
    """The project holding ``folder``, or a NotFound that says how to make one."""
    from ..errors import MlmomError, NotFound
    from ..project import find_project_root

    if not Path(folder).is_dir():
        raise NotFound(
            f"no folder {folder!r}: run `mlmom demo {folder}` first, or name a project folder"
        )
    try:
        return find_project_root(Path(folder).resolve())
    except MlmomError:
        raise NotFound(
            f"no mlmom.yaml in {folder} or above it: create a project with `mlmom init {folder}`"
        ) from None


@cli.command()
@click.argument("folder", default="mlmom-demo", type=click.Path(file_okay=False))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port of JupyterLab [default: 8888, or the next free one].",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the URL.")
@click.argument("lab_args", nargs=-1, type=click.UNPROCESSED)
def lab(folder: str, port: int, no_browser: bool, lab_args: tuple[str, ...]) -> None:
    """Open JupyterLab on the project in FOLDER (the demo's by default), sidebar showing.

    Arguments after ``--`` go to ``jupyter lab`` as they are.
    """
    root = project_root(folder)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        *([f"--port={port}"] if port else []),
        *(["--no-browser"] if no_browser else []),
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *lab_args,
    ]
    click.echo(
        f"JupyterLab on {root}: the mlmom sidebar (left) shows its pipeline, registry, "
        "deployments and monitoring. Ctrl-C stops it.",
        err=True,
    )
    replace_with(command, {**os.environ, OPEN_SIDEBAR: "1"})


def replace_with(command: list[str], env: dict[str, str]) -> None:
    """Become ``command`` (a Python ``-m`` app): a signal sent to ``mlmom lab`` or ``mlmom
    dashboards`` then reaches the server itself, instead of orphaning it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)
