"""``mlmom ci gitlab|github|jenkins``: a CI/CD pipeline for an existing project."""

from __future__ import annotations

import click

from . import cli, project_option

CI_KINDS = ("gitlab", "github", "jenkins")


@cli.command()
@click.argument("kind", type=click.Choice(CI_KINDS))
@click.option("--force", is_flag=True, help="Overwrite an existing pipeline file.")
@click.option("--branch", default="main", show_default=True, help="The default branch.")
@project_option
def ci(kind: str, force: bool, branch: str, project_dir: str) -> None:
    """Write the project's CI/CD pipeline for KIND: the pipeline and the quality gate on each
    change (JUnit report, metrics, model card), then a canary and its release by hand."""
    from ..deploy.ci import write
    from ..project import load_project

    path = write(load_project(project_dir), kind, force=force, branch=branch)
    click.echo(f"wrote {path}")
