"""``mlmom dashboards [DIR]``: the project's Voilà dashboards (explanations, drift) as a
standalone web app, without JupyterLab."""

from __future__ import annotations

import os
import sys

import click

from . import cli


@cli.command()
@click.argument("folder", default="mlmom-demo", type=click.Path(file_okay=False))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port of Voilà [default: 8866, or the next free one].",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the URL.")
@click.argument("voila_args", nargs=-1, type=click.UNPROCESSED)
def dashboards(folder: str, port: int, no_browser: bool, voila_args: tuple[str, ...]) -> None:
    """Serve the explanation and drift dashboards of the project in FOLDER (the demo's by
    default) with Voilà. Arguments after ``--`` go to ``voila`` as they are."""
    from ..dashboards.files import ensure_dashboards
    from .lab import project_root, replace_with

    root = project_root(folder)
    target = ensure_dashboards(root)
    command = [
        sys.executable,
        "-m",
        "voila",
        str(target),
        *([f"--port={port}"] if port else []),
        *(["--no-browser"] if no_browser else []),
        *voila_args,
    ]
    click.echo(f"Voilà on {target}: open explain.ipynb or drift.ipynb. Ctrl-C stops it.", err=True)
    replace_with(command, os.environ.copy())
