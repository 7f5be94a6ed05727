"""``mlmom gate [REF]``: the quality gate a CI pipeline calls.

Exit 0: every rule passed; 1: a rule failed; 2: the gate could not judge (a rule it could not
measure, an unknown version, a bad ``gate:`` section, a store that does not answer, anything
unexpected). Never 0 by accident: whatever stops it is a 2.
"""

from __future__ import annotations

import json
import sys
import traceback

import click

from . import cli, project_option

OUTCOME_COLOURS = {"pass": "green", "fail": "red", "error": "yellow", "skip": None}


@cli.command()
@click.argument("ref", required=False, metavar="[REF]")
@click.option(
    "--against",
    default="champion",
    show_default=True,
    help="The alias (or version) to compare with.",
)
@click.option("--junit-xml", "junit_xml", type=click.Path(dir_okay=False), help="Write JUnit XML.")
@click.option(
    "--card",
    type=click.Path(dir_okay=False),
    help="Also write the judged version's model card (HTML for a .html file, else Markdown).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-record", is_flag=True, help="Do not record the result with the version.")
@project_option
def gate(
    ref: str | None,
    against: str,
    junit_xml: str | None,
    card: str | None,
    as_json: bool,
    no_record: bool,
    project_dir: str,
) -> None:
    """Judge version REF (the newest by default) by the rules of mlmom.yaml's gate: section.

    Exits 0 when every rule passes, 1 when one fails, 2 when it could not judge."""
    from ..gate.verdicts import GateResult

    try:
        result = _judge(project_dir, ref, against, record=not no_record)
    except Exception as exc:  # noqa: BLE001 - whatever stops the gate: "could not judge"
        message = _one_line(exc)
        result = GateResult("", ref or "newest", None, error=message)
        if junit_xml:
            _write_junit(result, junit_xml)
        click.secho(f"error: the gate could not judge: {message}", fg="red", err=True)
        sys.exit(2)
    if junit_xml:
        _write_junit(result, junit_xml)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=1, default=str))
    else:
        _print_table(result)
    if card:
        try:
            _write_card(project_dir, result, card)
        except Exception as exc:  # noqa: BLE001 - judged, but the job is not done: never 0
            click.secho(f"error: the model card was not written: {_one_line(exc)}", err=True)
            sys.exit(2)
    sys.exit(result.exit_code)


def _judge(project_dir: str, ref: str | None, against: str, record: bool):
    from ..gate import judge
    from ..project import load_project

    return judge(load_project(project_dir), ref, against=against, record=record)


def _one_line(exc: Exception) -> str:
    from ..store_errors import without_password
    from . import user_error

    said = user_error(exc)
    if said is not None:
        return said[0]
    traceback.print_exc()  # a bug of ours: the trace helps, the exit code stays 2
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return without_password(f"{type(exc).__name__}: {first}")


def _write_junit(result, path: str) -> None:
    from ..gate import junit

    junit.write(result, path)


def _write_card(project_dir: str, result, path: str) -> None:
    from pathlib import Path

    from .. import cards
    from ..project import load_project

    render = cards.html if path.endswith(".html") else cards.markdown
    Path(path).write_text(render(load_project(project_dir), f"{result.name}/{result.version}"))


def _print_table(result) -> None:
    against = f" against v{result.against}" if result.against else ""
    click.echo(f"{result.name} v{result.version}{against}")
    if result.evaluation:
        ev = result.evaluation
        click.echo(f"evaluated on {ev['path']} ({ev['rows']} rows, sha256 {ev['sha256'][:12]})")
    rows = [("RULE", "VALUE", "MUST BE", "VERDICT", "")]
    for v in result.verdicts:
        value = f"{v.value:.4f}" if isinstance(v.value, float) else str(v.value or "-")
        rows.append((v.rule, value, v.expected or "-", v.outcome.upper(), v.detail))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for i, row in enumerate(rows):
        cells = [row[j].ljust(widths[j]) for j in range(4)]
        colour = None if i == 0 else OUTCOME_COLOURS[result.verdicts[i - 1].outcome]
        cells[3] = click.style(cells[3], fg=colour) if colour else cells[3]
        click.echo("  ".join(cells) + (f"  {row[4]}" if row[4] else ""))
    click.echo(f"gate {result.status}")
