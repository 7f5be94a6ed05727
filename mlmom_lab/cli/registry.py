"""``mlmom registry list|show|promote|rollback|approve|reject|history|compare|optimize``."""

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
            f"onnx {_onnx_column(v.onnx):<12} {metrics}"
        )


def _onnx_column(onnx: dict) -> str:
    kept = [name for name, v in onnx.get("variants", {}).items() if v.get("kept")]
    return "+".join([onnx.get("status", "-"), *kept])


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


def _decision(status: str):
    """``mlmom registry approve|reject REF -m WHY``: the same command, two decisions."""
    help_ = (
        f"{status.capitalize()} VERSION, saying why. With governance.require_approval only an "
        "approved version may become champion or go out as a canary; with governance.four_eyes "
        "the approver must not be whoever registered it."
    )

    @registry.command(status, help=help_)
    @click.argument("ref", metavar="VERSION")
    @click.option("--reason", "-m", required=True, help="Why (kept in the audit trail).")
    @project_option
    def decide(ref: str, reason: str, project_dir: str) -> None:
        from ..registry import approvals

        decide_ = approvals.approve if status == "approve" else approvals.reject
        done = decide_(ref, reason, project=_project(project_dir))
        click.echo(f"version {done.version} {done.status} by {done.who}: {done.why}")

    return decide


approve = _decision("approve")
reject = _decision("reject")


@registry.command()
@click.argument("version")
@click.option("--alias", default="champion", show_default=True)
@click.option("--reason", "-m", default="", help="Why (kept in the alias history).")
@click.option("--model", help="Model name (default: the project's).")
@click.option("--new-alias", is_flag=True, help="ALIAS is new on purpose, though close to one.")
@project_option
def promote(
    version: str, alias: str, reason: str, model: str | None, new_alias: bool, project_dir: str
) -> None:
    """Point ALIAS (champion by default) at VERSION; a running server follows a champion."""
    from .. import release

    project = _project(project_dir)
    if not new_alias:
        _not_a_typo(alias, model, project)
    moved = release.assign(version, alias=alias, model=model, reason=reason, project=project)
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


def _not_a_typo(alias: str, model: str | None, project) -> None:
    """A new alias a letter or two away from one the model has (or the loop's) is refused as
    a typo: `champoin` would be a new alias that nothing serves."""
    import difflib

    from ..errors import InvalidRequest
    from ..registry.versions import model_aliases

    known = {"champion", "challenger", *(model_aliases(model, project) or {})}
    close = difflib.get_close_matches(alias, sorted(known - {alias}), n=1, cutoff=0.75)
    if alias not in known and close:
        raise InvalidRequest(
            f"alias {alias!r} would be new, and is close to {close[0]!r}: "
            "a typo? (--new-alias creates it)"
        )


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
            delta = f"  ({_number(r['delta'], '+')})" if "delta" in r else ""
            click.echo(f"  {r['key']:<28} {_short(r['a']):<24} {_short(r['b'])}{delta}")


_PREFERRED = ("roc_auc", "f1", "accuracy", "rmse", "mae", "r2")


@registry.command()
@click.argument("ref", metavar="MODEL@VERSION")
@click.option(
    "--quantize",
    type=click.Choice(["int8"]),
    required=True,
    help="The variant to make: int8 weights (ONNX Runtime's dynamic quantization).",
)
@click.option(
    "--tolerance",
    type=float,
    default=0.01,
    show_default=True,
    help="What the variant may lose: accuracy (classifiers) or RMSE relative to the "
    "float graph's (regressors).",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False),
    help="Held-out rows to judge it on (.parquet or .csv) [default: the rows the "
    "version keeps for its explanations, without labels].",
)
@click.option("--target", help="The label column of --data.")
@click.option("--json", "as_json", is_flag=True)
@project_option
def optimize(ref: str, quantize: str, tolerance: float, data: str | None, target: str | None,
             as_json: bool, project_dir: str) -> None:  # fmt: skip
    """Make a lighter variant of a version's ONNX graph, kept only when it loses at most
    --tolerance; exit 1 when it loses more (the figures are kept either way)."""
    from .. import registry as reg
    from ..registry.optimize import optimize as make_variant

    project = _project(project_dir)
    info = reg.get_version(*reg.parse_ref(ref, project.spec.model), project)
    rows, labels = _held_out(data, target)
    variant = make_variant(
        project, info, quantize=quantize, rows=rows, target=labels, tolerance=tolerance
    )
    if as_json:
        click.echo(json.dumps(variant.__dict__, indent=1))
    else:
        _say_variant(info.version, variant)
    if not variant.kept:
        raise SystemExit(1)


def _held_out(data: str | None, target: str | None):
    from ..errors import InvalidInput

    if data is None:
        if target:
            raise InvalidInput("--target names a column of --data: give --data too")
        return None, None
    import pandas as pd

    try:
        frame = pd.read_csv(data) if data.endswith(".csv") else pd.read_parquet(data)
    except Exception as exc:  # noqa: BLE001 - pandas' readers raise many kinds
        raise InvalidInput(f"--data {data}: not a readable .parquet or .csv file ({exc})") from None
    if target is None:
        return frame, None
    if target not in frame.columns:
        raise InvalidInput(f"--target {target!r}: not a column of {data}")
    return frame.drop(columns=target), frame[target]


def _say_variant(version: str, v) -> None:
    kib = 1024
    click.echo(
        f"version {version} {v.variant}: {v.size_bytes / kib:.0f} KiB "
        f"(float {v.float_size_bytes / kib:.0f} KiB); batch 1 {v.ms['1']:.3f} ms "
        f"(float {v.float_ms['1']:.3f}); batch 1024 {v.ms['1024']:.2f} ms "
        f"(float {v.float_ms['1024']:.2f})"
    )
    click.echo(
        f"  {v.metric} on {v.rows} rows: {v.value:.4f} (float {v.float_value:.4f}), "
        f"loss {v.loss:.4f}, tolerance {v.tolerance}"
    )
    click.echo(
        f"  kept: served with --variant {v.variant}" if v.kept else f"  not kept: {v.reason}"
    )


def _key_metrics(metrics: dict[str, float], most: int = 4) -> list[str]:
    """The metrics worth a glance first, then the rest in name order."""
    ordered = [k for k in _PREFERRED if k in metrics] + sorted(set(metrics) - set(_PREFERRED))
    return ordered[:most]


def _short(value) -> str:
    text = _number(value) if isinstance(value, float) else str(value)
    return text if len(text) <= 22 else text[:10] + "…" + text[-8:]


def _number(value: float, sign: str = "") -> str:
    """Four decimals, or three significant digits for what four decimals would show as 0
    (an ONNX twin's largest difference, 5e-07)."""
    if value == 0 or abs(value) >= 5e-5:
        return f"{value:{sign}.4f}"
    return f"{value:{sign}.3g}"
