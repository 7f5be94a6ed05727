"""``mlmom run`` and ``mlmom status``."""

from __future__ import annotations

import json
import sys

import click

from . import cli, param_option, project_option


@cli.command()
@click.argument("stages", nargs=-1)
@click.option("--force", is_flag=True, help="Run the chosen stages even when cached.")
@click.option("--from", "start", metavar="STAGE", help="Run STAGE and everything after it.")
@param_option("Override a stage parameter (value read as YAML: 3, 0.5, true, [1, 2]).")
@click.option(
    "-j",
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Run up to N independent stages at the same time.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@project_option
def run(
    stages: tuple[str, ...],
    force: bool,
    start: str | None,
    params: tuple[str, ...],
    jobs: int,
    as_json: bool,
    project_dir: str,
) -> None:
    """Run the pipeline, or STAGES and what they need; unchanged stages are cached."""
    from ..pipeline import run_pipeline
    from ..pipeline.params import parse_overrides
    from ..project import load_project
    from .progress import RichReporter

    project = load_project(project_dir)
    reporter = None if as_json else RichReporter()
    result = run_pipeline(
        project,
        list(stages),
        force=force,
        start=start,
        overrides=parse_overrides(list(params)),
        jobs=jobs,
        reporter=reporter,
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=1))
    else:
        _summarise(result)
    sys.exit(0 if result.ok else 1)


def _summarise(result) -> None:
    counts: dict[str, int] = {}
    for stage in result.stages:
        counts[stage.status] = counts.get(stage.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    click.echo(f"{summary} in {result.seconds:.1f}s")
    for stage in result.stages:
        if stage.status == "failed":
            click.secho(f"error: {stage.error}", fg="red", err=True)
    if result.mlflow_run_id:
        click.echo(
            f"MLflow run {result.mlflow_run_id}; executed notebooks in .mlmom/runs/{result.run_id}/"
        )


@cli.command()
@param_option("Judge freshness as if these overrides were given.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@project_option
def status(params: tuple[str, ...], as_json: bool, project_dir: str) -> None:
    """List every stage as fresh or stale, and why it is stale."""
    from ..pipeline import pipeline_status
    from ..pipeline.params import parse_overrides
    from ..project import load_project

    found = pipeline_status(load_project(project_dir), parse_overrides(list(params)))
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in found], indent=1))
        return
    width = max(len(s.stage) for s in found)
    for s in found:
        mark = click.style("fresh", fg="green") if s.fresh else click.style("stale", fg="yellow")
        why = "" if s.fresh else ": " + "; ".join(s.reasons)
        click.echo(f"{s.stage:<{width}}  {mark}{why}")
