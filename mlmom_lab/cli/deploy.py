"""``mlmom deploy status|canary|promote|rollback|shadow|clear``: releases without restarts."""

from __future__ import annotations

import json

import click

from . import cli, project_option


def _show(state) -> None:
    canary = f"{state.canary} at {state.canary_weight:.0%}" if state.canary else "-"
    click.echo(f"champion {state.champion}  canary {canary}  shadow {state.shadow or '-'}  "
               f"(change {state.seq}: {state.reason})")


@cli.group()
def deploy() -> None:
    """What the server routes where; every running worker follows within a second."""


def _project(project_dir: str):
    from ..config import load_project

    return load_project(project_dir)


@deploy.command()
@click.option("--json", "as_json", is_flag=True)
@project_option
def status(as_json: bool, project_dir: str) -> None:
    """The current deployment."""
    from ..serving import deployment

    state = deployment.current(_project(project_dir))
    click.echo(json.dumps(state.as_dict(), indent=1)) if as_json else _show(state)


@deploy.command()
@click.argument("version")
@click.option("--weight", "-w", default=0.1, show_default=True, type=float,
              help="Share of the traffic, above 0 and at most 1.")
@click.option("--reason", "-m", default="")
@project_option
def canary(version: str, weight: float, reason: str, project_dir: str) -> None:
    """Route WEIGHT of the traffic to VERSION (made challenger in the registry)."""
    from ..serving import deployment

    _show(deployment.canary(_project(project_dir), version, weight, reason))


@deploy.command()
@click.option("--reason", "-m", default="")
@project_option
def promote(reason: str, project_dir: str) -> None:
    """Make the canary the champion."""
    from ..serving import deployment

    _show(deployment.promote(_project(project_dir), reason))


@deploy.command()
@click.option("--reason", "-m", default="")
@project_option
def rollback(reason: str, project_dir: str) -> None:
    """Go back to the previous champion; the canary is cleared."""
    from ..serving import deployment

    _show(deployment.rollback(_project(project_dir), reason))


@deploy.command()
@click.argument("version")
@click.option("--reason", "-m", default="")
@project_option
def shadow(version: str, reason: str, project_dir: str) -> None:
    """Send a copy of every request to VERSION; its answers are compared, never returned."""
    from ..serving import deployment

    _show(deployment.shadow(_project(project_dir), version, reason))


@deploy.command()
@click.option("--reason", "-m", default="")
@project_option
def clear(reason: str, project_dir: str) -> None:
    """Only the champion serves."""
    from ..serving import deployment

    _show(deployment.clear(_project(project_dir), reason))
