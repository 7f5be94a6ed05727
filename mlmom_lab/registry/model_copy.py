"""A version's model files from a store elsewhere (a tracking server, S3), downloaded once into
a folder that goes with the load.

Given a ``models:/`` URI, MLflow downloads what it needs into a new temporary folder on each
call (``Model.load``, a flavor's ``load_model``, ``download_artifacts``) and leaves it there:
a server that loads a version for each release would fill its disk with copies. Here the
model is downloaded once, everything is read from that copy, and the copy is removed once
the model is in memory. A model that runs code of its own (a ``PythonModel``) may read its
files whenever it runs: its copy stays, as MLflow's own would.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..project import Project


@contextlib.contextmanager
def downloaded_model(project: Project, source: str) -> Iterator[str]:
    """The local folder of a copy of the model at ``source`` (a ``models:/`` URI of the
    project's stores), for the block."""
    import mlflow

    from ..mlflow_clients import use_project
    from .kinds import NATIVE_FLAVORS, flavors_in

    use_project(project)
    copy, keep = tempfile.mkdtemp(prefix="mlmom-model-"), False
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=copy)
        keep = not flavors_in(Path(local)) & set(NATIVE_FLAVORS)
        yield local
    finally:
        if not keep:
            shutil.rmtree(copy, ignore_errors=True)
