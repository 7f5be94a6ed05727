"""``mlmom monitor check``: drift of a window of the prediction log against the reference."""

from __future__ import annotations

import json

import click

from . import cli, project_option


@cli.group()
def monitor() -> None:
    """Drift and model health of what the server answered."""


@monitor.command()
@click.option("--version", "version", default=None, help="Model version [default: champion].")
@click.option("--route", type=click.Choice(["champion", "canary", "pinned", "shadow"]),
              default=None, help="Only requests served on this route [default: all but shadow].")
@click.option("--last", type=click.IntRange(1), default=None,
              help="The last N predicted rows [default: monitoring.window in mlmom.yaml].")
@click.option("--since", default=None, metavar="DURATION|TS",
              help="Rows logged since 30m, 2h, 1d ago, or a Unix timestamp.")
@click.option("--json", "as_json", is_flag=True)
@project_option
def check(version: str | None, route: str | None, last: int | None, since: str | None,
          as_json: bool, project_dir: str) -> None:
    """Drift and performance of a window; fire, store and post the alerts of mlmom.yaml."""
    from dataclasses import asdict

    from ..config import load_project
    from ..monitoring.check import run_check
    from ..monitoring.windows import parse_since

    project = load_project(project_dir)
    result = run_check(project, version=version, route=route, last=last,
                       since=parse_since(since) if since else None)
    if as_json:
        click.echo(json.dumps({**result.drift.as_dict(),
                               "alerts": [asdict(a) for a in result.alerts]},
                              indent=1, default=str))
        return
    _show(result.drift)
    for alert in result.alerts:
        click.secho(f"ALERT {alert.message}", fg="red")
    if result.webhook_ok is False:
        click.echo("(the alert webhook did not answer; the alerts are stored)", err=True)


@monitor.command()
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@project_option
def alerts(limit: int, as_json: bool, project_dir: str) -> None:
    """The alerts fired so far, newest first."""
    import datetime
    from dataclasses import asdict

    from ..config import load_project
    from ..monitoring.alerts import history

    project = load_project(project_dir)
    fired = history(project.prediction_log_uri, limit)
    if as_json:
        click.echo(json.dumps([asdict(a) for a in fired], indent=1))
        return
    if not fired:
        click.echo("no alerts")
    for alert in fired:
        when = datetime.datetime.fromtimestamp(alert.ts).isoformat(timespec="seconds")
        click.echo(f"{when}  {alert.message}")


SHOWN = {"__prediction__": "(prediction)", "__target__": "(target, labelled rows)"}


def _show(drift) -> None:
    window, features = drift.window, drift.features
    click.echo(f"{window.model} version {window.version}: {window.rows} rows, "
               f"{window.labelled} labelled")
    for column in [*features.columns, drift.prediction, drift.target]:
        if column is None:
            continue
        score = "-" if column.score is None else f"{column.score:.4g}"
        verdict = "DRIFT" if column.drifted else "ok"
        name = SHOWN.get(column.column, column.column)
        click.echo(f"  {name:<24} {column.method or '-':<14} {column.kind or '':<9} "
                   f"{score:>10}  {verdict}{'  ' + column.note if column.note else ''}")
    verdict = "DRIFT" if features.dataset_drift else "no drift"
    click.echo(f"dataset: {verdict} ({features.drifted_share:.0%} of features drifted, "
               f"threshold {features.drift_share:.0%})")
    if drift.performance is not None:
        _show_performance(drift.performance)


def _show_performance(performance) -> None:
    names = list(dict.fromkeys([*performance.measured, *performance.estimated]))
    if not names:
        return
    click.echo(f"performance ({performance.labelled} labelled rows measured, "
               f"{performance.rows} estimated):")
    for name in names:
        cells = [performance.baseline.get(name), performance.measured.get(name),
                 performance.estimated.get(name)]
        shown = ["-" if v is None else f"{v:.3f}" for v in cells]
        click.echo(f"  {name:<10} baseline {shown[0]:>6}  measured {shown[1]:>6}  "
                   f"estimated {shown[2]:>6}")
