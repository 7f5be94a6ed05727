"""``mlmom serve``: the project's model over REST (Open Inference v2 and MLflow's protocol)."""

from __future__ import annotations

import os
import shutil

import click

from . import cli, project_option


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes.")
@click.option("--providers", default="", metavar="NAME,...",
              help="ONNX Runtime execution providers in order (default: CUDA when present, "
                   "then CPU), e.g. CUDAExecutionProvider,CPUExecutionProvider.")
@click.option("--max-body", default=8 * 1024 * 1024, show_default=True,
              help="Largest request body in bytes (413 above).")
@project_option
def serve(host: str, port: int, workers: int, providers: str, max_body: int,
          project_dir: str) -> None:
    """Serve the project's deployment (champion, canary, shadow) on HOST:PORT."""
    import uvicorn

    from ..config import load_project
    from ..serving import deployment

    project = load_project(project_dir)
    state = deployment.current(project)  # fails here, in one line, without a champion
    chosen = [p.strip() for p in providers.split(",") if p.strip()]
    if chosen:
        from ..serving.runtime import execution_providers

        execution_providers(chosen)  # an unknown provider is refused here, in one line
    # One fresh folder per server for the workers' metric files (prometheus multiprocess).
    metrics_dir = project.state_dir / "metrics" / str(os.getpid())
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.update({"MLMOM_SERVE_PROJECT": str(project.root),
                       "MLMOM_SERVE_MAX_BODY": str(max_body),
                       "MLMOM_SERVE_PROVIDERS": ",".join(chosen)})
    click.echo(f"serving {project.spec.model} (champion {state.champion}) on http://{host}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''})", err=True)
    try:
        uvicorn.run("mlmom_lab.serving.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", access_log=False, http="httptools",
                    loop="uvloop")
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
