"""``mlmom serve``: the project's model over REST (Open Inference v2 and MLflow's protocol)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import cli, project_option

if TYPE_CHECKING:
    from ..serving.settings import ServingSettings


def _show_config(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Print every serving setting with its help and default, as a config file to edit."""
    if not value or ctx.resilient_parsing:
        return
    from ..serving.settings import CONFIG_FILE, load

    click.echo(f"# {CONFIG_FILE}.py in a Jupyter config folder (`jupyter --paths`)")
    click.echo(load().class_config_section())
    ctx.exit()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=int, help="Worker processes [ServingSettings.workers: 1].")
@click.option(
    "--providers",
    metavar="NAME,...",
    help="ONNX Runtime execution providers in order (default: CUDA when present, "
    "then CPU), e.g. CUDAExecutionProvider,CPUExecutionProvider.",
)
@click.option(
    "--native/--no-native",
    default=None,
    help="Answer with the model itself only, never its ONNX twin (to compare, or "
    "to rule the twin out).",
)
@click.option(
    "--variant",
    type=click.Choice(["int8"]),
    help="Serve the int8 variant of each version's ONNX graph where it was kept "
    "(mlmom registry optimize).",
)
@click.option("--max-body", type=int, help="Largest request body in bytes (413 above) [8 MiB].")
@click.option(
    "--max-batch-size",
    type=int,
    help="Most rows micro-batched into one prediction; 1 turns batching off "
    "[default: serving.batching in mlmom.yaml, 64].",
)
@click.option(
    "--max-wait-ms",
    type=float,
    help="How long a request may wait for others to batch with "
    "[default: serving.batching in mlmom.yaml, 0].",
)
@click.option(
    "--log-durability",
    type=click.Choice(["fast", "safe"]),
    help="Answer only once the prediction is stored (safe) [serving.log.durability].",
)
@click.option("--onnx-threads", type=int, help="Threads per ONNX Runtime session [1].")
@click.option(
    "--api-keys-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A file of 'scope:key' lines (scopes: predict, admin).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM certificate (chain): serve HTTPS.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM private key of the certificate.",
)
@click.option(
    "--bundle",
    type=click.Path(exists=True, file_okay=False),
    help="Serve one exported version (`mlmom build-docker` writes one) instead of "
    "the project's deployment; no registry needed.",
)
@click.option(
    "--show-config",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_config,
    help="Print every serving setting (ServingSettings) with its help, and exit.",
)
@project_option
def serve(host: str, port: int, bundle: str | None, project_dir: str, **options: Any) -> None:
    """Serve the project's deployment (champion, canary, shadow) on HOST:PORT.

    Operators' settings (workers, batching, TLS, API keys, log durability, ONNX threads) come
    from mlmom_config.py/.json in the Jupyter config folders, then from these options."""
    import uvicorn

    from ..serving.settings import handed_down

    settings = _settings(options)
    tls = _tls(settings.ssl_certfile, settings.ssl_keyfile)
    if settings.providers:
        from ..registry.providers import execution_providers

        execution_providers(settings.providers)  # an unknown provider is refused here, in one line
    what, state_dir = _bundle(bundle) if bundle else _project(project_dir)
    # One fresh folder per server for the workers' metric files (prometheus multiprocess).
    metrics_dir = state_dir / "metrics" / str(os.getpid())
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    handed = handed_down(os.environ, settings)  # how the settings reach the workers
    os.environ.clear()
    os.environ.update(handed)
    scheme, workers = "https" if tls else "http", settings.workers
    click.echo(
        f"serving {what} on {scheme}://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})",
        err=True,
    )
    try:
        uvicorn.run(
            "mlmom_lab.cli.workers:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            http="httptools",
            loop="uvloop",
            server_header=False,  # no version banner for scanners
            proxy_headers=False,  # client addresses are never read, nor logged
            ssl_certfile=tls.get("ssl_certfile"),
            ssl_keyfile=tls.get("ssl_keyfile"),
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _settings(options: dict[str, Any]) -> ServingSettings:
    """The serving settings: config files, then the options given (a bad value, or a file a
    setting names that is not there: one line)."""
    from traitlets import TraitError

    from ..serving.settings import load

    providers = options.pop("providers")
    options["max_body_bytes"] = options.pop("max_body")
    if providers is not None:
        options["providers"] = [p.strip() for p in providers.split(",") if p.strip()]
    try:
        settings = load(**options)
    except TraitError as exc:
        raise click.UsageError(str(exc).splitlines()[0]) from None
    for name in ("ssl_certfile", "ssl_keyfile", "api_keys_file"):
        path = getattr(settings, name)
        if path is not None and not os.path.isfile(path):
            raise click.UsageError(f"ServingSettings.{name}: no file {path!r}")
    return settings


def _project(project_dir: str) -> tuple[str, Path]:
    from ..project import load_project
    from ..serving import deployment

    project = load_project(project_dir)
    state = deployment.current(project)  # fails here, in one line, without a champion
    os.environ["MLMOM_SERVE_PROJECT"] = str(project.root)
    return f"{project.spec.model} (champion {state.champion})", project.state_dir


def _bundle(folder: str) -> tuple[str, Path]:
    from ..deploy import bundle

    meta = bundle.read(Path(folder))  # not a bundle: one line, here
    state_dir = Path(os.environ.get("MLMOM_STATE_DIR") or Path(folder) / "state").resolve()
    os.environ.update(
        {"MLMOM_SERVE_BUNDLE": str(Path(folder).resolve()), "MLMOM_STATE_DIR": str(state_dir)}
    )
    return f"{meta['name']} version {meta['version']} (bundle)", state_dir


def _tls(certfile: str | None, keyfile: str | None) -> dict[str, str]:
    """uvicorn's TLS settings, once the pair is complete and loads (a wrong key fails here)."""
    if not certfile and not keyfile:
        return {}
    if not (certfile and keyfile):
        raise click.UsageError("TLS needs both --ssl-certfile and --ssl-keyfile")
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, ValueError) as exc:
        raise click.UsageError(f"the certificate and key do not load together: {exc}") from None
    return {"ssl_certfile": certfile, "ssl_keyfile": keyfile}
