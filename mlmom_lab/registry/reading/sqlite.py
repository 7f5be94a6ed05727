"""A local SQLite store read directly, guarded by its schema revision.

MLflow's SQL store keeps the registry in five tables (models, versions, their tags, aliases)
and the runs' artifact locations in ``runs``. The read is safe only on a schema we have
checked against MLflow's own answers: the store's alembic revision must be one of
:data:`KNOWN_REVISIONS`; any other (an older store MLflow would refuse, a newer MLflow)
goes to the client. Every read is one read-only transaction, so a writer in another
process is never seen half done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from ...files import read_only_sqlite, sqlite_file
from . import ModelRecord, Reader, VersionRecord, file_missing, model_missing, version_missing

if TYPE_CHECKING:
    from ...project import Project

# alembic heads of MLflow's SQL schema whose tables are read as below (tests check that the
# installed MLflow's head is listed, so an upgrade that changes the schema is noticed)
KNOWN_REVISIONS = frozenset({"dc11669786a5"})  # MLflow 3.17
WORKSPACE = "default"  # MLflow's single-tenant workspace
DELETED = "Deleted_Internal"  # a deleted version's stage: MLflow never shows it
BUSY_MS = 5_000  # how long a read waits behind a writer


def open_sqlite(project: Project, fallback: Reader) -> SQLiteReader | None:
    """A direct reader of the project's SQLite registry, or None when it is not safe."""
    path = sqlite_file(project.registry_uri)
    if path is None or not path.is_file() or not _known(path):
        return None
    same = project.tracking_uri == project.registry_uri
    return SQLiteReader(path, fallback, runs_here=same)


def _known(path: Path) -> bool:
    try:
        with closing(read_only_sqlite(path, BUSY_MS)) as db:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] in KNOWN_REVISIONS


class SQLiteReader:
    """Reads MLflow's registry tables (and a run's artifact location) from the file."""

    def __init__(self, path: Path, fallback: Reader, *, runs_here: bool) -> None:
        self._path = path
        self._fallback = fallback
        self._runs_here = runs_here

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with closing(read_only_sqlite(self._path, BUSY_MS)) as db:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def model(self, name: str) -> ModelRecord:
        key = (WORKSPACE, name)
        with self._read() as db:
            found = db.execute(
                "SELECT name FROM registered_models WHERE workspace = ? AND name = ?", key
            ).fetchone()
            if found is None:
                raise model_missing(name)
            aliases = db.execute(
                "SELECT alias, version FROM registered_model_aliases "
                "WHERE workspace = ? AND name = ?",
                key,
            ).fetchall()
            tags = db.execute(
                "SELECT key, value FROM registered_model_tags WHERE workspace = ? AND name = ?",
                key,
            ).fetchall()
        return ModelRecord(found[0], {a: str(v) for a, v in aliases}, dict(tags))

    def versions(self, name: str) -> list[VersionRecord]:
        with self._read() as db:
            return self._versions(db, name, None)

    def version(self, name: str, number: str) -> VersionRecord:
        with self._read() as db:
            found = self._versions(db, name, int(number)) if number.isdigit() else []
        if not found:
            raise version_missing(name, number)
        return found[0]

    def model_dir(self, name: str, number: str) -> Path | None:
        """The local folder holding a version's model files (its storage location), or None
        when they lie elsewhere."""
        with self._read() as db:
            row = db.execute(
                "SELECT storage_location FROM model_versions "
                "WHERE workspace = ? AND name = ? AND version = ?",
                (WORKSPACE, name, int(number)),
            ).fetchone()
        return local_dir(row[0] or "") if row else None

    def _versions(
        self, db: sqlite3.Connection, name: str, number: int | None
    ) -> list[VersionRecord]:
        where = "workspace = ? AND name = ?" + (" AND version = ?" if number is not None else "")
        args: tuple[object, ...] = (WORKSPACE, name) + ((number,) if number is not None else ())
        rows = db.execute(
            "SELECT version, creation_time, run_id, source, description FROM model_versions "
            f"WHERE {where} AND current_stage != ?",
            (*args, DELETED),
        ).fetchall()
        tags: dict[int, dict[str, str]] = {}
        for version, key, value in db.execute(
            f"SELECT version, key, value FROM model_version_tags WHERE {where}", args
        ):
            tags.setdefault(version, {})[key] = value
        return [
            VersionRecord(
                name=name,
                version=str(version),
                created=int(created or 0),
                run_id=run_id or None,
                source=source or "",
                description=description or "",
                tags=tags.get(version, {}),
            )
            for version, created, run_id, source, description in rows
        ]

    def run_file(self, run_id: str, path: str) -> bytes:
        root = self._artifact_dir(run_id) if self._runs_here else None
        if root is None:  # artifacts elsewhere (S3, a server): MLflow knows how to fetch them
            return self._fallback.run_file(run_id, path)
        try:
            return (root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise file_missing(run_id, path) from None

    def _artifact_dir(self, run_id: str) -> Path | None:
        with self._read() as db:
            row = db.execute(
                "SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,)
            ).fetchone()
        if row is None:
            raise file_missing(run_id, "(no such run)")
        return local_dir(row[0] or "")


def local_dir(uri: str) -> Path | None:
    """The folder of a local artifact URI (``file://`` or a plain path); None otherwise."""
    if uri.startswith("/"):
        return Path(uri)
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(unquote(parsed.path))
    return None
