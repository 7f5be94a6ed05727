"""``mlmom monitor check|report|status|watch|alerts|prune``: drift, performance and alerts of the
prediction log, against the reference registered with each version."""

from __future__ import annotations

import json
import sys

import click

from . import cli, project_option

ALERTS_FIRED = 5  # `monitor check --fail-on-alert`: apart from 1, "could not check"


@cli.group()
def monitor() -> None:
    """Drift and model health of what the server answered."""


def window_options(func):
    """--version, --route, --last and --since: which rows of the prediction log to read."""
    for option in reversed(
        [
            click.option(
                "--version", "version", default=None, help="Model version [default: champion]."
            ),
            click.option(
                "--route",
                type=click.Choice(["champion", "canary", "pinned", "shadow"]),
                default=None,
                help="Only requests on this route [default: all but shadow].",
            ),
            click.option(
                "--last",
                type=click.IntRange(1),
                default=None,
                help="The last N predicted rows [default: monitoring.window in mlmom.yaml].",
            ),
            click.option(
                "--since",
                default=None,
                metavar="DURATION|TS",
                help="Rows logged since 30m, 2h, 1d ago, or a Unix timestamp.",
            ),
        ]
    ):
        func = option(func)
    return func


@monitor.command()
@window_options
@click.option(
    "--explain/--no-explain",
    default=True,
    show_default=True,
    help="Show the explanation drift (mean |SHAP| per feature) next to the data drift.",
)
@click.option(
    "--fail-on-alert",
    is_flag=True,
    help="Exit 5 when an alert fires (a CI job that promotes only a quiet canary).",
)
@click.option("--json", "as_json", is_flag=True)
@project_option
def check(
    version: str | None,
    route: str | None,
    last: int | None,
    since: str | None,
    explain: bool,
    fail_on_alert: bool,
    as_json: bool,
    project_dir: str,
) -> None:
    """Drift and performance of a window; fire, store and post the alerts of mlmom.yaml."""
    from dataclasses import asdict

    from ..monitor_check import run_check
    from ..monitoring.windows import parse_since
    from ..project import load_project

    project = load_project(project_dir)
    result = run_check(
        project,
        version=version,
        route=route,
        last=last,
        since=parse_since(since) if since else None,
        explain=explain,
    )
    if as_json:
        click.echo(
            json.dumps(
                {**result.drift.as_dict(), "alerts": [asdict(a) for a in result.alerts]},
                indent=1,
                default=str,
            )
        )
    else:
        _show(result.drift)
        for alert in result.alerts:
            click.secho(f"ALERT {alert.message}", fg="red")
        _show_loop(result.loop)
    if result.webhook_ok is False:
        click.echo("(the alert webhook did not answer; the alerts are stored)", err=True)
    if fail_on_alert and result.alerts:
        sys.exit(ALERTS_FIRED)


@monitor.command()
@window_options
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the HTML and JSON [default: .mlmom/reports].",
)
@project_option
def report(
    version: str | None,
    route: str | None,
    last: int | None,
    since: str | None,
    output: str | None,
    project_dir: str,
) -> None:
    """Evidently's drift report of a window against the reference, also logged to MLflow."""
    from pathlib import Path

    from ..monitoring.report import write_report
    from ..monitoring.windows import load_window, parse_since
    from ..project import load_project

    project = load_project(project_dir)
    if last is None and since is None:
        last = project.spec.monitoring.window
    window = load_window(
        project,
        version=version,
        route=route,
        last=last,
        since=parse_since(since) if since else None,
    )
    if window.rows == 0:
        raise click.UsageError(f"no logged predictions of version {window.version} in this window")
    files = write_report(project, window, Path(output) if output else project.state_dir / "reports")
    click.echo(
        f"wrote {files.html}\nwrote {files.json}\nlogged to MLflow with version "
        f"{window.version} under {files.mlflow_path}/"
    )


@monitor.command()
@project_option
def status(project_dir: str) -> None:
    """What the latest check found, and the latest alerts."""
    import datetime

    from ..monitoring.alerts import history
    from ..monitoring.export import read_latest
    from ..project import load_project

    project = load_project(project_dir)
    latest = read_latest(project.state_dir)
    if latest is None:
        click.echo("no check yet: run `mlmom monitor check`")
        return
    when = datetime.datetime.fromtimestamp(latest["ts"]).isoformat(timespec="seconds")
    drifted = [f["feature"] for f in latest["features"] if f["drifted"]]
    click.echo(
        f"{latest['model']} version {latest['version']}, checked {when} on "
        f"{latest['rows']} rows: {latest['dataset_drift_share']:.0%} of features "
        f"drifted ({', '.join(drifted) or 'none'})"
    )
    for source in ("measured", "estimated"):
        values = latest["performance"].get(source) or {}
        if values:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in values.items())
            click.echo(f"  {source}: {shown}")
    for alert in history(project.prediction_log_uri, 5):
        click.echo(
            f"  alert {datetime.datetime.fromtimestamp(alert.ts):%Y-%m-%d %H:%M}  {alert.message}"
        )


@monitor.command()
@click.option(
    "--every",
    type=click.FloatRange(1),
    default=60,
    show_default=True,
    help="Seconds between checks.",
)
@click.option(
    "--times",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many checks [default: until Ctrl-C].",
)
@project_option
def watch(every: float, times: int | None, project_dir: str) -> None:
    """Check the champion's latest window again and again, printing each check."""
    import itertools
    import time

    from ..monitor_check import run_check
    from ..project import load_project

    project = load_project(project_dir)
    for i in itertools.count(1):
        result = run_check(project)
        _show(result.drift)
        for alert in result.alerts:
            click.secho(f"ALERT {alert.message}", fg="red")
        if times is not None and i >= times:
            return
        time.sleep(every)


@monitor.command()
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@project_option
def alerts(limit: int, as_json: bool, project_dir: str) -> None:
    """The alerts fired so far, newest first."""
    import datetime
    from dataclasses import asdict

    from ..monitoring.alerts import history
    from ..project import load_project

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


@monitor.command()
@click.option(
    "--older-than",
    metavar="DURATION",
    default=None,
    help="Delete what was logged longer ago than this (90d, 12h) [default: "
    "monitoring.retention in mlmom.yaml].",
)
@project_option
def prune(older_than: str | None, project_dir: str) -> None:
    """Delete logged predictions, their labels and error records older than the retention;
    in batches, so a running server's writes go on meanwhile."""
    import datetime
    import time

    from ..monitoring.mirror import forget_before
    from ..predictions.database import open_store
    from ..predictions.retention import prune as prune_log
    from ..project import load_project
    from ..spec_base import duration_seconds

    project = load_project(project_dir)
    text = older_than or project.spec.monitoring.retention
    if text is None:
        raise click.UsageError("no retention: set monitoring.retention or pass --older-than")
    try:
        seconds = duration_seconds(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration like 90d, 12h or 30m") from None
    cutoff = datetime.datetime.fromtimestamp(time.time() - seconds).isoformat(timespec="seconds")
    store = open_store(project.prediction_log_uri)
    try:
        deleted = prune_log(store, seconds)
    finally:
        store.close()
    days = forget_before(project.state_dir / "mirror", time.time() - seconds)
    mirrored = f"; {days} days of the Parquet mirror" if days else ""
    click.echo(f"deleted {deleted} predictions logged before {cutoff}{mirrored}")


@monitor.command()
@click.option(
    "--lag",
    type=click.FloatRange(0),
    default=60.0,
    show_default=True,
    help="Leave the last seconds of the log for the next sync (batches committed late).",
)
@project_option
def mirror(lag: float, project_dir: str) -> None:
    """Append the prediction log's new rows to its Parquet mirror (.mlmom/mirror, one
    folder per day), where checks over windows larger than memory read them."""
    import datetime

    from ..monitoring.mirror import position, sync
    from ..project import load_project

    project = load_project(project_dir)
    folder = project.state_dir / "mirror"
    added = sync(project.prediction_log_uri, folder, lag=lag)
    through = position(folder)
    stands = datetime.datetime.fromtimestamp(through).isoformat(timespec="seconds")
    click.echo(f"mirrored {added} rows to {folder}" + (f" (through {stands})" if through else ""))


SHOWN = {"__prediction__": "(prediction)", "__target__": "(target, labelled rows)"}


def _show(drift) -> None:
    window, features = drift.window, drift.features
    click.echo(
        f"{window.model} version {window.version}: {window.rows} rows, {window.labelled} labelled"
    )
    shifts = {f.name: f for f in drift.explanation.features} if drift.explanation else {}
    if shifts:
        click.echo(
            f"  {'':<24} {'test':<14} {'kind':<9} {'score':>10}  {'verdict':<7}  "
            f"mean |SHAP| train -> window"
        )
    for column in [*features.columns, drift.prediction, drift.target]:
        if column is None:
            continue
        score = "-" if column.score is None else f"{column.score:.4g}"
        verdict = "DRIFT" if column.drifted else "ok"
        name = SHOWN.get(column.column, column.column)
        shift = _shift(shifts.get(column.column))
        click.echo(
            f"  {name:<24} {column.method or '-':<14} {column.kind or '':<9} "
            f"{score:>10}  {verdict:<7}{shift}{'  ' + column.note if column.note else ''}"
        )
    if drift.explanation is not None:
        moved = ", ".join(drift.explanation.shifted) or "none"
        click.echo(
            f"explanation drift on the last {drift.explanation.rows} rows "
            f"({drift.explanation.output_name}): shifted: {moved}"
        )
    verdict = "DRIFT" if features.dataset_drift else "no drift"
    click.echo(
        f"dataset: {verdict} ({features.drifted_share:.0%} of features drifted, "
        f"threshold {features.drift_share:.0%})"
    )
    if drift.performance is not None:
        _show_performance(drift.performance)


def _shift(shift) -> str:
    if shift is None:
        return ""
    flag = "  SHIFT" if shift.shifted else ""
    return (
        f"  {shift.reference:.3f} -> {shift.current:.3f} ({shift.reference_share:.0%} -> "
        f"{shift.current_share:.0%} of the total){flag}"
    )


def _show_shares(shares: dict) -> None:
    """Each class's (or cluster's) share of the answers, reference -> window."""
    if not shares:
        return
    reference, current = shares["reference"], shares["current"]
    moved = ", ".join(
        f"{k} {reference.get(k, 0):.0%} -> {current.get(k, 0):.0%}"
        for k in sorted(set(reference) | set(current))
    )
    click.echo(f"answers (reference -> window): {moved}")


def _show_loop(loop: dict | None) -> None:
    """The retraining loop's latest step, when this check moved it."""
    if loop and loop.get("history"):
        step = loop["history"][-1]
        click.echo(f"retraining loop: {loop['state']} - {step['message']}")


def _show_performance(performance) -> None:
    _show_shares(performance.shares)
    names = list(dict.fromkeys([*performance.measured, *performance.estimated]))
    if not names:
        return
    click.echo(
        f"performance ({performance.labelled} labelled rows measured, "
        f"{performance.rows} estimated):"
    )
    for name in names:
        cells = [
            performance.baseline.get(name),
            performance.measured.get(name),
            performance.estimated.get(name),
        ]
        shown = ["-" if v is None else f"{v:.3f}" for v in cells]
        click.echo(
            f"  {name:<10} baseline {shown[0]:>6}  measured {shown[1]:>6}  estimated {shown[2]:>6}"
        )
