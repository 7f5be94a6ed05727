"""``mlmom audit``: who did what, when and why, from the stores where it happened."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import time

import click

from . import cli, project_option


@cli.command()
@click.option("--since", metavar="DURATION", help="Only the last 30d, 12h, 90m ...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@project_option
def audit(since: str | None, fmt: str, project_dir: str) -> None:
    """Every registration, quality gate, approval, alias move, deployment change, alert,
    retraining step and erasure, oldest first."""
    from ..audit import trail
    from ..project import load_project

    events = trail(load_project(project_dir), _since(since))
    rows = [e.as_dict() for e in events]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, ["when", "kind", "who", "what", "why", "version"])
        writer.writeheader()
        writer.writerows({**r, "when": _iso(r["when"])} for r in rows)
    else:
        for e in events:
            why = f"  ({e.why})" if e.why else ""
            click.echo(f"{_iso(e.when)}  {e.kind:<12} {e.who or '-':<20} {e.what}{why}")
        if not events:
            click.echo("nothing recorded yet")


def _since(text: str | None) -> float | None:
    from ..spec_base import duration_seconds

    if text is None:
        return None
    try:
        return time.time() - duration_seconds(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write a duration like 30d, 12h or 90m") from None


def _iso(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
