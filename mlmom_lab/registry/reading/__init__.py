"""Reading the registry without importing MLflow when that is safe.

Importing ``mlflow`` costs seconds (it pulls pandas, SQLAlchemy, protobuf...), which made
``mlmom registry list`` slower than the question it answers. Commands that only read go
through the fastest reader that gives MLflow's own answer:

- a local SQLite store whose schema revision is one we know (:mod:`.sqlite`): read directly;
- a tracking server (``http(s)://``): MLflow's documented REST API (:mod:`.rest`);
- anything else, or anything unusual (an unknown schema, workspaces, an auth plugin):
  the MLflow client itself (:mod:`.client`).

Each reader returns the same plain records; tests check them against the client's answers
on the same store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from ...project import Project

# settings under which MLflow answers differently from a plain read (another workspace, an
# authentication plugin): the client is asked then
_CLIENT_ONLY = ("MLFLOW_WORKSPACE", "MLFLOW_ENABLE_WORKSPACES", "MLFLOW_TRACKING_AUTH")
# MLMOM_REGISTRY_READER=mlflow: always ask the MLflow client (to compare, or to rule us out)
_CHOICE = "MLMOM_REGISTRY_READER"


@dataclass(frozen=True)
class ModelRecord:
    """A registered model: where its aliases point and its tags."""

    name: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> version number
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionRecord:
    """One model version as the store keeps it."""

    name: str
    version: str
    created: int  # ms since the epoch
    run_id: str | None
    source: str
    description: str
    tags: dict[str, str] = field(default_factory=dict)


class Reader(Protocol):
    """What the read commands ask of a registry. Missing things raise ``NotFound``."""

    def model(self, name: str) -> ModelRecord: ...

    def versions(self, name: str) -> list[VersionRecord]: ...

    def version(self, name: str, number: str) -> VersionRecord: ...

    def run_file(self, run_id: str, path: str) -> bytes: ...


def reader_for(project: Project) -> Reader:
    """The fastest reader that answers as MLflow would for this project's registry."""
    from .client import ClientReader

    fallback = ClientReader(project)
    if os.environ.get(_CHOICE) == "mlflow" or any(os.environ.get(n) for n in _CLIENT_ONLY):
        return fallback
    scheme = project.registry_uri.split(":", 1)[0]
    if scheme == "sqlite":
        from .sqlite import open_sqlite

        return open_sqlite(project, fallback) or fallback
    if scheme in ("http", "https") and project.registry_uri == project.tracking_uri:
        from .rest import RestReader

        return RestReader(project.registry_uri, fallback)
    return fallback


def local_model_dir(reader: Reader, name: str, number: str) -> Path | None:
    """The local folder of a version's model files when ``reader`` reads a local SQLite
    store directly (the server's quick start reads them without MLflow); else None."""
    from .sqlite import SQLiteReader

    if not isinstance(reader, SQLiteReader):
        return None
    folder = reader.model_dir(name, number)
    return folder if folder is not None and folder.is_dir() else None


def name_filter(name: str) -> str:
    """MLflow's search filter for the versions of model ``name``.

    MLflow's filter strings have no escapes: a value is quoted with whichever quote it lacks.
    A name holding both quotes can only be matched by ``LIKE`` with ``_`` in place of the
    single quotes, which may match other names too: callers keep only ``name``'s versions.
    """
    if "'" not in name:
        return f"name = '{name}'"
    if '"' not in name:
        return f'name = "{name}"'
    return "name LIKE '" + name.replace("'", "_") + "'"


def model_missing(name: str) -> Exception:
    from ...errors import NotFound

    return NotFound(f"no registered model named {name!r}")


def version_missing(name: str, number: str) -> Exception:
    from ...errors import NotFound

    return NotFound(f"model {name!r} has no version {number}")


def file_missing(run_id: str, path: str) -> Exception:
    from ...errors import NotFound

    return NotFound(f"run {run_id} has no artifact {path}")
