"""Where a version's model is loaded from: its own folder in a local store, else one copy
downloaded from the store elsewhere (a tracking server, S3) for the length of the load.

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
def model_files(project: Project, name: str, version: str, source: str) -> Iterator[str]:
    """What to load the version's model from, for the block: its folder when the store keeps
    it on this disk (no tracking client to create, nothing copied); a downloaded copy when
    the store is elsewhere; its ``source`` URI for a local ``PythonModel`` (MLflow loads
    those, as they run code of their own)."""
    from ..mlflow_clients import use_project
    from .kinds import NATIVE_FLAVORS, flavors_in
    from .reading import local_model_dir, reader_for

    folder = local_model_dir(reader_for(project), name, version)
    if folder is not None and flavors_in(folder) & set(NATIVE_FLAVORS):
        yield str(folder)
        return
    use_project(project)
    if folder is not None:
        yield source
        return
    with _downloaded(source) as copy:
        yield copy


@contextlib.contextmanager
def _downloaded(source: str) -> Iterator[str]:
    import mlflow

    from .kinds import NATIVE_FLAVORS, flavors_in

    copy, keep = tempfile.mkdtemp(prefix="mlmom-model-"), False
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=copy)
        keep = not flavors_in(Path(local)) & set(NATIVE_FLAVORS)
        yield local
    finally:
        if not keep:
            shutil.rmtree(copy, ignore_errors=True)
