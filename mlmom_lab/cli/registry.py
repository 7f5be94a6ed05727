"""``mlmom registry list|show|promote|rollback|history|compare``."""

from __future__ import annotations

import datetime as dt
import json

import click

from . import cli, project_option


def _project(project_dir: str):
    from ..project import load_project

    return load_project(project_dir)


@cli.group()
def registry() -> None:
    """The model registry: versions, aliases and their history."""


@registry.command("list")
@click.option("--model", help="Model name (default: the project's).")
@click.option("--json", "as_json", is_flag=True)
@project_option
def list_(model: str | None, as_json: bool, project_dir: str) -> None:
    """Versions of the model, newest first, with aliases, key metrics and ONNX status."""
    from .. import registry as reg

    versions = reg.list_versions(model, _project(project_dir))
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in versions], indent=1))
        return
    if not versions:
        click.echo("no versions yet: run the pipeline (mlmom run)")
    for v in versions:
        metrics = "  ".join(f"{k} {v.metrics[k]:.4f}" for k in _key_metrics(v.metrics))
        click.echo(
            f"{v.name} v{v.version:<4} {','.join(v.aliases) or '-':<20} "
            f"onnx {v.onnx.get('status', '-'):<7} {metrics}"
        )


@registry.command()
@click.argument("ref", metavar="MODEL@VERSION")
@click.option("--lineage/--no-lineage", default=True, help="Include the full lineage.")
@project_option
def show(ref: str, lineage: bool, project_dir: str) -> None:
    """One version in full: metrics, aliases, ONNX parity and lineage (as JSON)."""
    from .. import registry as reg

    project = _project(project_dir)
    info = reg.get_version(*reg.parse_ref(ref, project.spec.model), project)
    out = info.as_dict()
    if lineage:
        out["lineage"] = reg.get_lineage(info, project)
    click.echo(json.dumps(out, indent=1, default=str))


@registry.command()
@click.argument("version")
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", "-m", default="", help="Why (kept in the alias history).")
@click.option("--model", help="Model name (default: the project's).")
@project_option
def promote(version: str, alias: str, reason: str, model: str | None, project_dir: str) -> None:
    """Point ALIAS (champion by default) at VERSION; a running server follows a champion."""
    from .. import release

    moved = release.assign(
        version, alias=alias, model=model, reason=reason, project=_project(project_dir)
    )
    click.echo(f"{alias}: {moved.event.from_version or '-'} -> {moved.event.to_version}")
    _served(moved)


@registry.command()
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", "-m", default="", help="Why (kept in the alias history).")
@click.option("--model", help="Model name (default: the project's).")
@project_option
def rollback(alias: str, reason: str, model: str | None, project_dir: str) -> None:
    """Move ALIAS back to the version it held before the current one."""
    from .. import release

    moved = release.revert(alias=alias, model=model, reason=reason, project=_project(project_dir))
    click.echo(f"{alias}: {moved.event.from_version} -> {moved.event.to_version} (rolled back)")
    _served(moved)


def _served(moved) -> None:
    """A moved champion is served once every running worker follows the deployment."""
    if moved.release is not None:
        click.echo(f"deployment: {moved.release.message}")


@registry.command()
@click.option("--alias", help="Only this alias.")
@click.option("--model", help="Model name (default: the project's).")
@click.option("--json", "as_json", is_flag=True)
@project_option
def history(alias: str | None, model: str | None, as_json: bool, project_dir: str) -> None:
    """Every alias move: who, when, from which version to which, and why."""
    from .. import registry as reg

    events = reg.history(model, _project(project_dir), alias)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in events], indent=1))
        return
    for e in events:
        when = dt.datetime.fromtimestamp(e.when, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{when}  {e.alias:<10} {e.from_version or '-':>4} -> {e.to_version or '-':<4} "
            f"{e.action:<9} {e.who}: {e.reason}"
        )


@registry.command()
@click.argument("a")
@click.argument("b")
@click.option("--model", help="Model name (default: the project's).")
@click.option("--json", "as_json", is_flag=True)
@project_option
def compare(a: str, b: str, model: str | None, as_json: bool, project_dir: str) -> None:
    """Versions (or aliases) A and B side by side: metrics, parameters, data, lineage."""
    from .. import registry as reg

    diff = reg.compare(a, b, name=model, project=_project(project_dir))
    if as_json:
        click.echo(json.dumps(diff, indent=1, default=str))
        return
    va, vb = diff["versions"]
    click.echo(f"{diff['name']}: v{va} vs v{vb}")
    for section in ("metrics", "params", "data", "lineage", "onnx"):
        rows = [r for r in diff[section] if section == "metrics" or not r["same"]]
        if rows:
            click.secho(section, bold=True)
        for r in rows:
            delta = f"  ({r['delta']:+.4f})" if "delta" in r else ""
            click.echo(f"  {r['key']:<28} {_short(r['a']):<24} {_short(r['b'])}{delta}")


_PREFERRED = ("roc_auc", "f1", "accuracy", "rmse", "mae", "r2")


def _key_metrics(metrics: dict[str, float], most: int = 4) -> list[str]:
    """The metrics worth a glance first, then the rest in name order."""
    ordered = [k for k in _PREFERRED if k in metrics] + sorted(set(metrics) - set(_PREFERRED))
    return ordered[:most]


def _short(value) -> str:
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return text if len(text) <= 22 else text[:10] + "…" + text[-8:]
