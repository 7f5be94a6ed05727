"""The app each uvicorn worker of ``mlmom serve`` builds (``--factory``), from what the command
put in the environment: a project whose deployment is followed live (its ``/deployment/*``
routes are the release workflow's), or one exported bundle.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
from pathlib import Path

from ..predictions import PredictionLog, salt_for
from ..serving.app import MAX_BODY_BYTES, ServingApp
from ..serving.auth import from_environment
from ..serving.batching import BatchPolicy
from ..serving.router import Router

logger = logging.getLogger("mlmom.serving")


def create_app() -> ServingApp:
    """The app for ``uvicorn --factory`` workers."""
    bundle = os.environ.get("MLMOM_SERVE_BUNDLE")
    app = from_bundle(Path(bundle)) if bundle else from_project()
    if not app.keys.enabled:
        logger.warning(
            "no API keys configured (MLMOM_API_KEYS): the server is open to anyone who can reach it"
        )
    # MLflow, pandas and scikit-learn leave ~10^6 objects behind; a full garbage collection
    # walking them all stalls every request for 100+ ms (p99 at 64 connections went from
    # ~170 ms to ~10 ms). Frozen objects are never scanned again.
    gc.collect()
    gc.freeze()
    return app


def from_project() -> ServingApp:
    """The project's deployment (champion, canary, shadow), followed live."""
    from .. import release
    from ..project import load_project
    from ..serving import deployment
    from ..serving.follow import Follower
    from ..serving.rollout import WorkerRecord
    from ..serving.runtime import load

    project = load_project(os.environ.get("MLMOM_SERVE_PROJECT", "."))
    record = WorkerRecord(project.state_dir)  # "starting": a release waits for this worker too
    try:
        state = deployment.current(project)
        providers = _providers()
        runtimes = {v: load(project, v, providers=providers, twin=_twin()) for v in state.versions}
    except BaseException:
        record.close()  # this worker never serves
        raise
    spec = project.spec.serving
    log = PredictionLog(
        project.prediction_log_uri,
        personal_data=spec.log.personal_data,
        salt=salt_for(project.state_dir),
        durability=spec.log.durability,
    )
    app = ServingApp(
        Router(state, runtimes),
        max_body_bytes=_max_body(),
        log=log,
        keys=from_environment(),
        project=project,
        batching=_policy(spec.batching.max_batch_size, spec.batching.max_wait_ms),
        releases=functools.partial(release.apply, project),
    )
    app.follower = Follower(
        app,
        deployment.path_of(project),
        lambda v: load(project, v, providers=providers, twin=_twin()),
        record,
    )
    record.serving(state.seq)
    return app


def from_bundle(folder: Path) -> ServingApp:
    """One exported version as the champion; its log in ``MLMOM_STATE_DIR`` (a container's
    volume). Releases happen outside: KServe's canary, or a new image."""
    from ..config import Serving
    from ..deploy import bundle
    from ..serving.deployment import Deployment
    from ..serving.runtime import load_bundle

    meta = bundle.read(folder)
    spec = Serving.model_validate(meta.get("serving", {}))
    runtime = load_bundle(folder, providers=_providers(), twin=_twin())
    state_dir = Path(os.environ.get("MLMOM_STATE_DIR", folder / "state"))
    log = PredictionLog(
        state_dir / "predictions.db",
        personal_data=spec.log.personal_data,
        salt=salt_for(state_dir),
        durability=spec.log.durability,
    )
    router = Router(Deployment(champion=runtime.version), {runtime.version: runtime})
    return ServingApp(
        router,
        max_body_bytes=_max_body(),
        log=log,
        keys=from_environment(),
        batching=_policy(spec.batching.max_batch_size, spec.batching.max_wait_ms),
    )


def _providers() -> list[str] | None:
    return [p for p in os.environ.get("MLMOM_SERVE_PROVIDERS", "").split(",") if p] or None


def _twin() -> bool:
    """False under ``mlmom serve --native``: every version answers with the model itself."""
    return os.environ.get("MLMOM_SERVE_NATIVE", "") != "1"


def _max_body() -> int:
    return int(os.environ.get("MLMOM_SERVE_MAX_BODY", MAX_BODY_BYTES))


def _policy(max_batch_size: int, max_wait_ms: float) -> BatchPolicy:
    """The spec's batching, unless ``mlmom serve --max-batch-size/--max-wait-ms`` said else."""
    return BatchPolicy(
        int(os.environ.get("MLMOM_SERVE_MAX_BATCH", max_batch_size)),
        float(os.environ.get("MLMOM_SERVE_MAX_WAIT_MS", max_wait_ms)),
    )
