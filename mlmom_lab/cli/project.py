"""``mlmom init``, ``mlmom demo`` and ``mlmom reproduce``."""

from __future__ import annotations

import json
import sys

import click

from . import cli, project_option


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", help="Project name (default: the folder's name).")
@click.option(
    "--ci",
    "ci_kind",
    type=click.Choice(["gitlab", "github", "jenkins"]),
    help="Also write a CI/CD pipeline (see mlmom ci).",
)
def init(folder: str, name: str | None, ci_kind: str | None) -> None:
    """Create a new project in FOLDER from a template that runs as is."""
    from ..scaffold import init_project

    root = init_project(folder, name)
    click.echo(f"created {root}/mlmom.yaml with stages prepare -> train")
    if ci_kind:
        from ..deploy.ci import write
        from ..project import load_project

        click.echo(f"wrote {write(load_project(root), ci_kind)}")
    click.echo(f"next: cd {folder} && mlmom run")


@cli.command()
@click.argument("folder", default="mlmom-demo", type=click.Path(file_okay=False))
@click.option("--quiet", is_flag=True, help="Tell the story without live stage progress.")
def demo(folder: str, quiet: bool) -> None:
    """Copy the example project into FOLDER and run its whole lifecycle, unattended."""
    from rich.console import Console

    from ..demo import run_demo
    from .progress import RichReporter

    # The story and the live progress share one console, so neither draws over the other.
    console = Console(highlight=False)
    say = click.echo if quiet else (lambda text: console.print(text, markup=False))
    summary = run_demo(folder, say, reporter=None if quiet else RichReporter(console))
    if not summary["ok"]:
        click.secho("demo failed", fg="red")
        sys.exit(1)
    click.secho("demo finished", fg="green")
    click.echo(f"Open it in JupyterLab, the mlmom sidebar showing it all: mlmom lab {folder}")


@cli.command()
@click.argument("ref", metavar="MODEL@VERSION")
@click.option(
    "--workdir", type=click.Path(file_okay=False), help="Where to re-run (default: a temp folder)."
)
@click.option(
    "--tolerance", default=0.0, show_default=True, help="Largest metric difference accepted."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@project_option
def reproduce(
    ref: str, workdir: str | None, tolerance: float, as_json: bool, project_dir: str
) -> None:
    """Re-run a version's pipeline in a fresh folder and compare its metrics with the recorded ones.

    MODEL@VERSION is e.g. churn-classifier@champion, churn-classifier/3, or just 3.
    """
    from ..project import load_project
    from ..reproduce import reproduce as run_reproduce
    from .progress import RichReporter

    result = run_reproduce(
        load_project(project_dir),
        ref,
        workdir=workdir,
        tolerance=tolerance,
        reporter=None if as_json else RichReporter(),
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=1, default=str))
    else:
        _print_reproduce(result)
    sys.exit(0 if result.ok else 1)


def _print_reproduce(result) -> None:
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if not result.run.ok:
        failed = next(s for s in result.run.stages if s.status == "failed")
        click.secho(f"error: the re-run failed: {failed.error}", fg="red", err=True)
        return
    for c in result.checks:
        same = c.diff is not None and c.diff <= result.tolerance
        mark = click.style("same", fg="green") if same else click.style("DIFFERENT", fg="red")
        got = "missing" if c.reproduced is None else f"{c.reproduced:.6g}"
        click.echo(
            f"{c.scope:<9} {c.metric:<22} recorded {c.recorded:<12.6g} reproduced {got:<12} {mark}"
        )
    verdict = (
        "reproduced" if result.ok else f"NOT reproduced ({len(result.mismatches)} metric(s) differ)"
    )
    click.secho(
        f"{result.name} version {result.version}: {verdict}; re-run in {result.workdir}",
        fg="green" if result.ok else "red",
        err=not result.ok,
    )
