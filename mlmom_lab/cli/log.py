"""``mlmom log erase``: a person's rows out of every store that holds them."""

from __future__ import annotations

import json

import click

from . import cli, project_option


@cli.group()
def log() -> None:
    """The prediction log: erase a person's data (retention: `mlmom monitor prune`)."""


@log.command()
@click.option(
    "--where",
    "where",
    required=True,
    metavar="COLUMN=VALUE",
    help="The person: a column the log keeps and its value (a hashed column is matched on "
    "the hash).",
)
@click.option("--reason", "-m", required=True, help="Why (kept in the audit trail).")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True)
@project_option
def erase(where: str, reason: str, dry_run: bool, as_json: bool, project_dir: str) -> None:
    """Erase every logged row of one person, with its labels, from the prediction log, its
    Parquet mirror and exports, and the drift reports that may hold it; the audit trail
    records the erasure without the value."""
    from .. import erasure
    from ..project import load_project

    column, value = erasure.parse_where(where)
    done = erasure.erase(load_project(project_dir), column, value, why=reason, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps({**done.as_dict(), "dry_run": dry_run}, indent=1))
        return
    click.echo(("would erase " if dry_run else "erased ") + done.log.what)
    for path in done.files:
        click.echo(f"rewrote {path}")
    for report in done.reports:
        click.echo(f"deleted report {report}")
