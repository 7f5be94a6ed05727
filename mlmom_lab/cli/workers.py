"""The app each uvicorn worker of ``mlmom serve`` builds (``--factory``), from what the command
put in the environment (the serving settings, and what to serve): a project whose deployment
is followed live (its ``/deployment/*`` routes are the release workflow's), or one exported
bundle.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
from pathlib import Path

from ..predictions import PredictionLog, salt_for
from ..serving.app import ServingApp
from ..serving.auth import key_ring
from ..serving.batching import BatchPolicy
from ..serving.router import Router
from ..serving.settings import ServingSettings

logger = logging.getLogger("mlmom.serving")


def create_app() -> ServingApp:
    """The app for ``uvicorn --factory`` workers."""
    bundle = os.environ.get("MLMOM_SERVE_BUNDLE")
    settings = ServingSettings.from_environ()
    app = from_bundle(Path(bundle), settings) if bundle else from_project(settings)
    if not app.keys.enabled:
        logger.warning(
            "no API keys configured (ServingSettings.api_keys): the server is open to anyone "
            "who can reach it"
        )
    # MLflow, pandas and scikit-learn leave ~10^6 objects behind; a full garbage collection
    # walking them all stalls every request for 100+ ms (p99 at 64 connections went from
    # ~170 ms to ~10 ms). Frozen objects are never scanned again.
    gc.collect()
    gc.freeze()
    return app


def from_project(settings: ServingSettings) -> ServingApp:
    """The project's deployment (champion, canary, shadow), followed live."""
    from .. import release
    from ..project import load_project
    from ..serving import deployment
    from ..serving.follow import Follower
    from ..serving.rollout import WorkerRecord

    project = load_project(os.environ.get("MLMOM_SERVE_PROJECT", "."))
    record = WorkerRecord(project.state_dir)  # "starting": a release waits for this worker too
    try:
        state = deployment.current(project)
        runtimes = {v: _load(project, v, settings) for v in state.versions}
    except BaseException:
        record.close()  # this worker never serves
        raise
    spec = project.spec.serving
    log = PredictionLog(
        project.prediction_log_uri,
        personal_data=spec.log.personal_data,
        salt=salt_for(project.state_dir),
        durability=settings.log_durability or spec.log.durability,
        spool=project.state_dir / "spool" / "predictions.db",  # while a log database is away
        retention=project.spec.monitoring.retention_seconds,
    )
    app = ServingApp(
        Router(state, runtimes),
        max_body_bytes=settings.max_body_bytes,
        log=log,
        keys=key_ring(settings.api_keys, settings.api_keys_file),
        project=project,
        batching=_policy(spec, settings),
        releases=functools.partial(release.apply, project),
    )
    app.follower = Follower(
        app,
        deployment.path_of(project),
        lambda v: _load(project, v, settings),
        record,
    )
    record.serving(state.seq)
    return app


def from_bundle(folder: Path, settings: ServingSettings) -> ServingApp:
    """One exported version as the champion; its log in ``MLMOM_STATE_DIR`` (a container's
    volume). Releases happen outside: KServe's canary, or a new image."""
    from ..config import Serving
    from ..deploy import bundle
    from ..serving.deployment import Deployment
    from ..serving.runtime import load_bundle

    meta = bundle.read(folder)
    spec = Serving.model_validate(meta.get("serving", {}))
    runtime = load_bundle(folder, providers=settings.providers or None, twin=not settings.native)
    # (a bundle carries the float twin only: a variant is served from the registry)
    state_dir = Path(os.environ.get("MLMOM_STATE_DIR", folder / "state"))
    log = PredictionLog(
        state_dir / "predictions.db",
        personal_data=spec.log.personal_data,
        salt=salt_for(state_dir),
        durability=settings.log_durability or spec.log.durability,
    )
    router = Router(Deployment(champion=runtime.version), {runtime.version: runtime})
    return ServingApp(
        router,
        max_body_bytes=settings.max_body_bytes,
        log=log,
        keys=key_ring(settings.api_keys, settings.api_keys_file),
        batching=_policy(spec, settings),
    )


def _load(project, version: str, settings: ServingSettings):
    """One version's runtime: its ONNX twin (or the variant asked for) unless the settings say
    ``native``."""
    from ..serving.runtime import load

    return load(
        project,
        version,
        providers=settings.providers or None,
        twin=not settings.native,
        variant=settings.variant,
        quick=True,
    )


def _policy(spec, settings: ServingSettings) -> BatchPolicy:
    """The spec's batching, unless the settings (``mlmom serve --max-batch-size``...) say else."""
    size, wait = settings.max_batch_size, settings.max_wait_ms
    return BatchPolicy(
        spec.batching.max_batch_size if size is None else size,
        spec.batching.max_wait_ms if wait is None else wait,
    )
