"""``mlmom serve``: the project's model over REST (Open Inference v2 and MLflow's protocol)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from . import cli, project_option


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes."
)
@click.option(
    "--providers",
    default="",
    metavar="NAME,...",
    help="ONNX Runtime execution providers in order (default: CUDA when present, "
    "then CPU), e.g. CUDAExecutionProvider,CPUExecutionProvider.",
)
@click.option(
    "--native",
    is_flag=True,
    help="Answer with the model itself only, never its ONNX twin (to compare, or "
    "to rule the twin out).",
)
@click.option(
    "--max-body",
    default=8 * 1024 * 1024,
    show_default=True,
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--max-batch-size",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Most rows micro-batched into one prediction; 1 turns batching off "
    "[default: serving.batching in mlmom.yaml, 64].",
)
@click.option(
    "--max-wait-ms",
    type=click.FloatRange(0, 1000),
    default=None,
    help="How long a request may wait for others to batch with "
    "[default: serving.batching in mlmom.yaml, 0].",
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
@project_option
def serve(
    host: str,
    port: int,
    workers: int,
    providers: str,
    native: bool,
    max_body: int,
    max_batch_size: int | None,
    max_wait_ms: float | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    bundle: str | None,
    project_dir: str,
) -> None:
    """Serve the project's deployment (champion, canary, shadow) on HOST:PORT."""
    import uvicorn

    tls = _tls(ssl_certfile, ssl_keyfile)
    chosen = [p.strip() for p in providers.split(",") if p.strip()]
    if chosen:
        from ..registry.onnx import execution_providers

        execution_providers(chosen)  # an unknown provider is refused here, in one line
    what, state_dir = _bundle(bundle) if bundle else _project(project_dir)
    # One fresh folder per server for the workers' metric files (prometheus multiprocess).
    metrics_dir = state_dir / "metrics" / str(os.getpid())
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.update(
        {
            "MLMOM_SERVE_MAX_BODY": str(max_body),
            "MLMOM_SERVE_PROVIDERS": ",".join(chosen),
            "MLMOM_SERVE_NATIVE": "1" if native else "",
        }
    )
    if max_batch_size is not None:
        os.environ["MLMOM_SERVE_MAX_BATCH"] = str(max_batch_size)
    if max_wait_ms is not None:
        os.environ["MLMOM_SERVE_MAX_WAIT_MS"] = str(max_wait_ms)
    scheme = "https" if tls else "http"
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
            **tls,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


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
