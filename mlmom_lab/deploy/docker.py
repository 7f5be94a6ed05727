"""Docker build contexts: the server of one version, or the image a Kubeflow pipeline's
tasks run in (``docker build -t IMAGE DIR``).

The context holds the version as a bundle (see :mod:`.bundle`), mlmom-lab itself (its
source when this is a source checkout, else the released version from the index) and a
constraints file pinning every package to the version installed here, so the image runs
what was tested. The image runs as an unprivileged user, keeps its state in one volume
(``/srv/state``: prediction log, metric files) and answers Docker's health check on the
Open Inference readiness route.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..dag import sources_only
from ..errors import InvalidRequest
from ..project import Project
from . import bundle

PORT = 8080
STATE = "/srv/state"
_SOURCE_SKIP = shutil.ignore_patterns(
    "__pycache__",
    "*.pyc",
    ".mlmom",
    "data",
    "models",
    "reports",
    ".ipynb_checkpoints",
    "node_modules",
)


def build_context(project: Project, ref: str, dest: Path, *, workers: int = 2) -> dict[str, Any]:
    """Write the context to ``dest`` (a new or empty folder); returns the bundle's metadata."""
    if dest.exists() and any(dest.iterdir()):
        raise InvalidRequest(f"{dest} is not empty: give a new folder for the build context")
    meta = bundle.export(project, ref, dest / "bundle")
    source = _copy_source(dest / "src")
    (dest / "constraints.txt").write_text(constraints())
    (dest / ".dockerignore").write_text("**/__pycache__\n**/*.pyc\n")
    (dest / "Dockerfile").write_text(dockerfile(meta, from_source=source, workers=workers))
    return meta


def dockerfile(meta: dict[str, Any], *, from_source: bool, workers: int = 2) -> str:
    """The Dockerfile text for a bundle's version."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    install = (
        "COPY src/ /srv/src/\nRUN pip install --constraint /srv/constraints.txt '/srv/src[cpu]'"
        if from_source
        else f"RUN pip install --constraint /srv/constraints.txt 'mlmom-lab[cpu]=={__version__}'"
    )
    probe = (
        f"import urllib.request; urllib.request.urlopen("
        f"'http://127.0.0.1:{PORT}/v2/health/ready', timeout=2)"
    )
    return f"""# syntax=docker/dockerfile:1
# The mlmom-lab server of {meta["name"]} version {meta["version"]}, written by `mlmom build-docker`.
# Build: docker build -t {meta["name"]}:{meta["version"]} .
# Run:   docker run -p {PORT}:{PORT} -e MLMOM_API_KEYS=predict:<key> {meta["name"]}:{meta["version"]}
FROM python:{python}-slim
LABEL org.opencontainers.image.title="{meta["name"]}" \
      org.opencontainers.image.version="{meta["version"]}" \
      dev.mlmom.model="{meta["name"]}" dev.mlmom.version="{meta["version"]}" \
      dev.mlmom.run-id="{meta["run_id"]}" dev.mlmom.mlmom-lab="{__version__}"
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    MLMOM_STATE_DIR={STATE}
WORKDIR /srv
COPY constraints.txt /srv/constraints.txt
{install}
COPY bundle/ /srv/model/
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin mlmom \\
    && mkdir -p {STATE} && chown 10001 {STATE}
USER 10001
VOLUME {STATE}
EXPOSE {PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \\
    CMD ["python", "-c", "{probe}"]
ENTRYPOINT ["mlmom", "serve", "--bundle", "/srv/model", "--host", "0.0.0.0", "--port", "{PORT}"]
CMD ["--workers", "{workers}"]
"""


def constraints() -> str:
    """``name==version`` for every installed distribution but mlmom-lab itself."""
    pins = {}
    for dist in metadata.distributions():
        # an email.message.Message, whose get() the stdlib's PackageMetadata protocol omits
        name = dist.metadata.get("Name")  # type: ignore[attr-defined]
        if name and name.lower() not in ("mlmom-lab", "mlmom_lab"):
            pins[name.lower()] = f"{name}=={dist.version}"
    return "\n".join(pins[k] for k in sorted(pins)) + "\n"


def _copy_source(dest: Path) -> bool:
    """Copy mlmom-lab's source tree (pyproject and all) if this install comes from one."""
    package = Path(__file__).resolve().parents[1]
    root = package.parent
    if not (root / "pyproject.toml").is_file() or not (root / "notebooks").is_dir():
        return False  # installed from a wheel: the image installs the release instead
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).is_file():
            shutil.copy2(root / name, dest / name)
    shutil.copytree(package, dest / package.name, ignore=_SOURCE_SKIP)
    shutil.copytree(root / "notebooks", dest / "notebooks", ignore=_SOURCE_SKIP)
    return True


def pipeline_context(
    project: Project, dest: Path, *, extras: str = "cpu,boosting,kubeflow"
) -> Path:
    """The image of ``mlmom export kfp``'s tasks: mlmom-lab with Kubeflow's SDK (tasks run as
    KFP lightweight components), a python3 kernel for papermill, and the project's sources in
    ``/project`` (the pipeline's default ``project_dir``), without its state or any outs."""
    if dest.exists() and any(dest.iterdir()):
        raise InvalidRequest(f"{dest} is not empty: give a new folder for the build context")
    source = _copy_source(dest / "src")
    shutil.copytree(project.root, dest / "project", ignore=sources_only(project))
    (dest / "constraints.txt").write_text(constraints())
    (dest / ".dockerignore").write_text("**/__pycache__\n**/*.pyc\n")
    (dest / "Dockerfile").write_text(
        pipeline_dockerfile(project, from_source=source, extras=extras)
    )
    return dest


def pipeline_dockerfile(project: Project, *, from_source: bool, extras: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    package = f"/srv/src[{extras}]" if from_source else f"mlmom-lab[{extras}]=={__version__}"
    copy = "COPY src/ /srv/src/\n" if from_source else ""
    name = project.spec.project
    return f"""# syntax=docker/dockerfile:1
# The image the tasks of {name}'s Kubeflow pipeline run in, written by
# `mlmom build-docker --pipeline`. Build: docker build -t {name}-pipeline:TAG .
# then: mlmom export kfp --image {name}-pipeline:TAG
FROM python:{python}-slim
LABEL org.opencontainers.image.title="{name}-pipeline" dev.mlmom.project="{name}" \
      dev.mlmom.mlmom-lab="{__version__}"
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
WORKDIR /srv
COPY constraints.txt /srv/constraints.txt
{copy}RUN pip install --constraint /srv/constraints.txt "{package}" \
    && python -m ipykernel install --sys-prefix --name python3
COPY project/ /project/
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin mlmom
USER 10001
WORKDIR /project
"""
