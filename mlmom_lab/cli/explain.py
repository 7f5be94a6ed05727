"""``mlmom explain VERSION [--request-id ID]``: what drives a version, or one prediction."""

from __future__ import annotations

import json

import click

from . import cli, project_option


@cli.command()
@click.argument("version", required=False)
@click.option("--request-id", default=None, help="Explain this logged request.")
@click.option(
    "--row", type=click.IntRange(0), default=0, show_default=True, help="Which row of the request."
)
@click.option(
    "--class",
    "target",
    default=None,
    help="Explain this class's output [default: the predicted class; a binary "
    "model's positive class].",
)
@click.option(
    "--top",
    type=click.IntRange(1),
    default=None,
    help="Show only the N strongest features [default: all].",
)
@click.option("--json", "as_json", is_flag=True)
@project_option
def explain(
    version: str | None,
    request_id: str | None,
    row: int,
    target: str | None,
    top: int | None,
    as_json: bool,
    project_dir: str,
) -> None:
    """Global importance of VERSION (3, champion, model@alias; default: the champion), or with
    --request-id the SHAP and LIME explanations of one logged prediction side by side, by the
    version that answered it unless VERSION names another."""
    from ..explain import explain_request, global_importance
    from ..project import load_project

    project = load_project(project_dir)
    if request_id is None:
        importance = global_importance(project, version)
        if as_json:
            click.echo(json.dumps(importance.as_dict(), indent=1))
            return
        _show_importance(version or "champion", importance, top)
        return
    result = explain_request(project, request_id, row=row, version=version, target=target)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=1, default=str))
        return
    _show_request(result, top)


def _show_importance(version: str, importance, top: int | None) -> None:
    click.echo(
        f"{version}: global importance by SHAP ({importance.kind} explainer, "
        f"{importance.rows} training rows), on the {importance.output_name}; "
        f"base value {importance.base:.4f}"
    )
    ranked = importance.ranked()[:top]
    width = max(len(f.name) for f in ranked)
    largest = ranked[0].mean_abs or 1.0
    for feature in ranked:
        bar = "#" * round(20 * feature.mean_abs / largest)
        click.echo(
            f"  {feature.name:<{width}}  mean |SHAP| {feature.mean_abs:.4f}  "
            f"mean {feature.mean:+.4f}  {bar}"
        )


def _show_request(result, top: int | None) -> None:
    shap, lime = result.explanations.get("shap"), result.explanations.get("lime")
    request = result.request
    served = "" if request.version == result.version else f" (served by v{request.version})"
    score = "" if result.logged_score is None else f", {result.logged_score:.4f}"
    click.echo(
        f"request {request.request_id} row {result.row}, {request.route} route: answered "
        f"{result.logged_prediction}{score}; explained by version {result.version}"
        f"{served}"
    )
    click.echo(
        f"  SHAP ({shap.algorithm}): {shap.output_name} {shap.output:.4f} = base "
        f"{shap.base:.4f} + contributions ({shap.total - shap.base:+.4f})"
    )
    click.echo(f"  LIME: local surrogate R² {lime.fit:.2f}, intercept {lime.base:.4f}")
    width = max(len(name) for name in result.inputs)
    click.echo(f"  {'feature':<{width}}  {'value':>14}  {'SHAP':>8}  {'LIME':>8}  LIME's bin")
    for name, value in shap.ranked()[:top]:
        shown = str(result.inputs.get(name))[:14]
        click.echo(
            f"  {name:<{width}}  {shown:>14}  {value:+8.4f}  "
            f"{lime.contributions[name]:+8.4f}  {(lime.conditions or {}).get(name, '')}"
        )
