"""``mlmom card [REF]``: a version's model card, printed or written."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, project_option


@cli.command()
@click.argument("ref", default="champion", metavar="[REF]")
@click.option("--html", "as_html", is_flag=True, help="Self-contained HTML instead of Markdown.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write it to this file instead."
)
@click.option("--log", "log_it", is_flag=True, help="Also log it with the version in MLflow.")
@project_option
def card(ref: str, as_html: bool, output: str | None, log_it: bool, project_dir: str) -> None:
    """The model card of version REF (the champion by default): intended use and owner,
    data lineage and hashes, metrics and the quality gate, performance per group, top
    features, drift and alerts, approvals."""
    from .. import cards
    from ..project import load_project

    project = load_project(project_dir)
    text = (cards.html if as_html else cards.markdown)(project, ref)
    if log_it:
        from .. import registry

        cards.log_card(project, registry.get_version(None, ref, project).version)
    if output:
        Path(output).write_text(text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
