"""``mlmom export kfp``: the project's pipeline for the engines a team runs."""

from __future__ import annotations

import click

from . import cli, param_option, project_option


@cli.group()
def export() -> None:
    """The pipeline for another engine: Kubeflow Pipelines."""


@export.command("kfp")
@click.option(
    "--out",
    "-o",
    default="pipeline.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the compiled pipeline (KFP v2 IR YAML).",
)
@click.option(
    "--image",
    default="mlmom-pipeline:latest",
    show_default=True,
    help="The image every task runs in: mlmom-lab, the project's kernels and its sources "
    "in the folder the pipeline's project_dir parameter names (default /project).",
)
@click.option(
    "--tracking-uri",
    default=None,
    help="The MLflow tracking server the tasks log to [default: stores.tracking_uri].",
)
@param_option("Override a stage parameter (value read as YAML), compiled into the pipeline.")
@project_option
def kfp(
    out: str, image: str, tracking_uri: str | None, params: tuple[str, ...], project_dir: str
) -> None:
    """Compile the pipeline to Kubeflow Pipelines: one task per stage, the stages' outs
    handed on as artifacts, each stage's MLflow run under the pipeline's, KFP's cache keyed
    as mlmom's."""
    from pathlib import Path

    from ..export.kfp import compile_pipeline
    from ..pipeline.params import parse_overrides
    from ..project import load_project

    project = load_project(project_dir)
    written = compile_pipeline(
        project,
        Path(out),
        image=image,
        tracking_uri=tracking_uri,
        overrides=parse_overrides(list(params)),
    )
    click.echo(f"wrote {written} ({len(project.spec.stages)} stages; submit it with KFP)")
