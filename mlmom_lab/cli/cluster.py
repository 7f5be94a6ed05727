"""``mlmom build-docker`` and ``mlmom k8s``: a version as an image, the deployment as manifests."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, project_option


@cli.command("build-docker")
@click.argument("ref", default="champion")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False),
    default=None,
    help="Build context folder (new or empty) [default: docker-MODEL-VERSION].",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server worker processes in the container.",
)
@click.option(
    "--pipeline",
    is_flag=True,
    help="Instead: the image the tasks of `mlmom export kfp` run in (the project's sources, "
    "mlmom-lab and Kubeflow's SDK); REF is not used.",
)
@project_option
def build_docker(
    ref: str, output: str | None, workers: int, pipeline: bool, project_dir: str
) -> None:
    """Write a Dockerfile and build context serving version REF (default: the champion), or
    with --pipeline the image of the project's Kubeflow pipeline."""
    from ..deploy import docker
    from ..project import load_project
    from ..registry import get_version, parse_ref

    project = load_project(project_dir)
    if pipeline:
        dest = docker.pipeline_context(
            project, Path(output or f"docker-{project.spec.project}-pipeline")
        )
        click.echo(
            f"wrote {dest}/Dockerfile for {project.spec.project}'s pipeline\n"
            f"build it: docker build -t {project.spec.project}-pipeline {dest}\n"
            f"then: mlmom export kfp --image {project.spec.project}-pipeline"
        )
        return
    name, version = parse_ref(ref, project.spec.model)
    version = get_version(name, version, project).version  # an alias becomes its number
    dest = Path(output or f"docker-{name}-{version}")
    meta = docker.build_context(project, version, dest, workers=workers)
    click.echo(
        f"wrote {dest}/Dockerfile for {meta['name']} version {meta['version']}\n"
        f"build it: docker build -t {meta['name']}:{meta['version']} {dest}"
    )


@cli.command("k8s")
@click.option(
    "--image-repo",
    default=None,
    help="Image repository; each version runs as REPO:VERSION [default: the model name].",
)
@click.option("--name", default=None, help="Kubernetes object name [default: the model name].")
@click.option("--namespace", default="default", show_default=True)
@click.option("--min-replicas", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--max-replicas", default=4, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--cpu-target",
    default=70,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Average CPU utilisation (%) the autoscaler aims for.",
)
@click.option("--output", "-o", type=click.Path(file_okay=False), default="k8s", show_default=True)
@project_option
def k8s(
    image_repo: str | None,
    name: str | None,
    namespace: str,
    min_replicas: int,
    max_replicas: int,
    cpu_target: int,
    output: str,
    project_dir: str,
) -> None:
    """Write Kubernetes manifests for the deployment: KServe, or Deployment + Service + HPA."""
    from ..deploy import k8s as manifests
    from ..project import load_project
    from ..serving import deployment

    project = load_project(project_dir)
    state = deployment.current(project)
    objects = manifests.manifests(
        state,
        name=name or project.spec.model,
        image_repo=image_repo or project.spec.model,
        namespace=namespace,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        cpu_target=cpu_target,
    )
    for path in manifests.write(objects, Path(output)):
        click.echo(f"wrote {path}")
    if state.canary and state.canary_weight > 0:
        click.echo(
            f"KServe: version {state.canary} gets {round(state.canary_weight * 100)}% "
            f"as a canary over the last ready revision (apply the champion's first)"
        )
