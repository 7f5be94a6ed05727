"""``mlmom deploy status|canary|promote|rollback|shadow|clear``: releases without restarts.

A release returns once every running server worker serves it, and says so; when some do not
within ``--timeout`` it names them and exits 3 (the change stays written, and they will
still follow it).
"""

from __future__ import annotations

import json

import click

from . import cli, project_option


def _show(state) -> None:
    canary = f"{state.canary} at {state.canary_weight:.0%}" if state.canary else "-"
    click.echo(
        f"champion {state.champion}  canary {canary}  shadow {state.shadow or '-'}  "
        f"(change {state.seq}: {state.reason})"
    )


def _show_workers(workers, seq: int) -> None:
    if not workers:
        click.echo("no server is running")
    for worker in workers:
        click.echo(f"  {worker.describe()}{'' if worker.serves(seq) else '  (behind)'}")


def _released(release) -> None:
    _show(release.deployment)
    click.echo(release.message)


def timeout_option(func):
    return click.option(
        "--timeout",
        type=click.FloatRange(0, 3600, min_open=True),
        default=None,
        metavar="SECONDS",
        help="How long to wait for every running worker "
        "to serve the change [default: serving.release_timeout, 60]",
    )(func)


@cli.group()
def deploy() -> None:
    """What the server routes where; each change returns once every running worker serves it."""


def _project(project_dir: str):
    from ..project import load_project

    return load_project(project_dir)


@deploy.command()
@click.option("--json", "as_json", is_flag=True)
@project_option
def status(as_json: bool, project_dir: str) -> None:
    """The current deployment, and the change each running server worker serves."""
    from ..serving import deployment
    from ..serving.rollout import live_workers

    project = _project(project_dir)
    state = deployment.current(project)
    workers = live_workers(project.state_dir)
    if as_json:
        click.echo(
            json.dumps({**state.as_dict(), "workers": [w.as_dict() for w in workers]}, indent=1)
        )
        return
    _show(state)
    _show_workers(workers, state.seq)


@deploy.command()
@click.argument("version")
@click.option(
    "--weight",
    "-w",
    default=0.1,
    show_default=True,
    type=float,
    help="Share of the traffic, above 0 and at most 1.",
)
@click.option("--reason", "-m", default="")
@timeout_option
@project_option
def canary(
    version: str, weight: float, reason: str, timeout: float | None, project_dir: str
) -> None:
    """Route WEIGHT of the traffic to VERSION (made challenger in the registry)."""
    from .. import release

    _released(
        release.canary(_project(project_dir), version, weight, reason=reason, timeout=timeout)
    )


@deploy.command()
@click.option("--reason", "-m", default="")
@timeout_option
@project_option
def promote(reason: str, timeout: float | None, project_dir: str) -> None:
    """Make the canary the champion."""
    from .. import release

    _released(release.promote(_project(project_dir), reason=reason, timeout=timeout))


@deploy.command()
@click.option("--reason", "-m", default="")
@timeout_option
@project_option
def rollback(reason: str, timeout: float | None, project_dir: str) -> None:
    """Go back to the previous champion; the canary is cleared."""
    from .. import release

    _released(release.rollback(_project(project_dir), reason=reason, timeout=timeout))


@deploy.command()
@click.argument("version")
@click.option("--reason", "-m", default="")
@timeout_option
@project_option
def shadow(version: str, reason: str, timeout: float | None, project_dir: str) -> None:
    """Send a copy of every request to VERSION; its answers are compared, never returned."""
    from .. import release

    _released(release.shadow(_project(project_dir), version, reason=reason, timeout=timeout))


@deploy.command()
@click.option("--reason", "-m", default="")
@timeout_option
@project_option
def clear(reason: str, timeout: float | None, project_dir: str) -> None:
    """Only the champion serves."""
    from .. import release

    _released(release.clear(_project(project_dir), reason=reason, timeout=timeout))
