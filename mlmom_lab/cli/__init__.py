"""The ``mlmom`` command: a thin layer over the core.

Every command loads the project, calls one core function and prints the result. Errors the
user can cause (:class:`~mlmom_lab.errors.MlmomError`) print as one line on stderr and exit
with the error's status: 1; 3 for a release that is written but not live on every worker; 4
for a store (a tracking server, a database, an artifact store) that does not answer.
"""

from __future__ import annotations

import gc
import sys

import click

from .. import __version__
from ..errors import MlmomError
from ..mlflow_clients import last_store
from ..store_errors import store_error, without_password


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            said = user_error(exc)
            if said is None:
                raise  # a bug of ours: the traceback helps
            _fail(*said)


def user_error(exc: Exception) -> tuple[str, int] | None:
    """The one line and exit status of an error the user can cause (ours, a store away or
    refusing, MLflow refusing a request); None for a bug of ours."""
    if isinstance(exc, MlmomError):
        return exc.message, exc.exit_code
    away = store_error(exc, last_store())
    if away is not None:
        return away.message, away.exit_code
    if _from_mlflow(exc):
        return f"MLflow refused: {without_password(str(exc).strip().splitlines()[0])}", 1
    return None


def _fail(message: str, status: int = 1) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(status)


def _from_mlflow(exc: Exception) -> bool:
    """An MlflowException: a store that refused a request, not a bug of ours."""
    exceptions = sys.modules.get("mlflow.exceptions")
    return exceptions is not None and isinstance(exc, exceptions.MlflowException)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlmom")
def cli() -> None:
    """mlmom-lab: reproducible notebook pipelines, a model registry and their lifecycle."""


def project_option(func):
    return click.option(
        "--project",
        "-C",
        "project_dir",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Project folder (or one inside it).",
    )(func)


def param_option(help: str):
    """``-p/--param STAGE.KEY=VALUE``, repeatable: stage parameter overrides."""
    return click.option(
        "-p", "--param", "params", multiple=True, metavar="STAGE.KEY=VALUE", help=help
    )


def _register() -> None:
    from . import (  # noqa: F401
        audit,
        card,
        ci,
        cluster,
        dashboards,
        deploy,
        explain,
        export,
        gate,
        lab,
        log,
        monitor,
        pipeline,
        project,
        registry,
        serve,
    )


def main() -> None:
    _register()
    try:
        cli(prog_name="mlmom")
    finally:
        # With MLflow, pandas and SQLAlchemy loaded, the interpreter's last garbage
        # collections at exit take ~0.6 s here; the work is done, so spare them.
        gc.freeze()
