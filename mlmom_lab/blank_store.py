"""A new project's SQLite MLflow store starts as a copy of a blank one, made once per versions.

The first client to open a SQLite store that does not exist yet makes its tables: SQLAlchemy
creates MLflow's first schema and alembic runs every migration since, over a second of CPU
for every new project. The tables follow from the installed MLflow, SQLAlchemy and alembic
alone, so they are made once per those versions, in the user's cache, and a new store is a
copy of that file. MLflow then opens the copy as any store of its schema: it checks the
revision and adds the default experiment itself, with this store's artifact root, so the
store holds what MLflow would have made. Anything unexpected (another database, a store that
exists, a cache that cannot be written, an MLflow that makes its tables differently) leaves
the store to MLflow, which makes it as it always does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sqlite3
from importlib.metadata import version
from pathlib import Path

from .files import read_only_sqlite, sqlite_file
from .user_cache import cache_dir

logger = logging.getLogger("mlmom.store")


def prepare(uri: str) -> None:
    """Put a blank store at ``uri`` when it is a SQLite file that does not exist yet."""
    path = sqlite_file(uri)
    if path is None or path.exists():
        return
    try:
        blank = _blank()
        path.parent.mkdir(parents=True, exist_ok=True)
        _copy_unless_there(blank, path)
    except Exception as exc:  # noqa: BLE001 - a shortcut only: MLflow makes the store itself
        logger.debug("no blank store for %s: %s", uri, exc)


def _blank() -> Path:
    """The blank store for the installed versions, made when there is none yet."""
    names = ("mlflow", "sqlalchemy", "alembic")
    path = cache_dir() / "mlflow-stores" / ("-".join(version(n) for n in names) + ".db")
    if not _at_head(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _beside(path)
        try:
            _make_tables(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


def _beside(path: Path) -> Path:
    """A name no other process uses, in ``path``'s folder (a rename there is one step)."""
    return path.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{path.name}")


def _at_head(path: Path) -> bool:
    """Whether ``path`` is a store at the schema revision this MLflow expects (a blank made
    by another MLflow of the same version, or a damaged file, is made again)."""
    from mlflow.store.db.utils import _get_latest_schema_revision

    if not path.is_file():
        return False
    try:
        with contextlib.closing(read_only_sqlite(path)) as db:
            found = db.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return False
    return found == [(_get_latest_schema_revision(),)]


def _make_tables(path: Path) -> None:
    """MLflow's own table creation (what its store does on an empty database), checked to
    end at the schema revision this MLflow expects."""
    from mlflow.store.db.utils import (
        _initialize_tables,
        _verify_schema,
        create_sqlalchemy_engine,
    )

    engine = create_sqlalchemy_engine(f"sqlite:///{path}")
    try:
        _initialize_tables(engine)
        _verify_schema(engine)
    finally:
        engine.dispose()


def _copy_unless_there(blank: Path, path: Path) -> None:
    """Copy ``blank`` to ``path`` in one step: a client that opens ``path`` meanwhile finds
    no file or the whole copy, and a store someone made meanwhile is left alone."""
    tmp = _beside(path)
    try:
        shutil.copyfile(blank, tmp)  # a new file, with the permissions the umask gives
        os.link(tmp, path)  # FileExistsError when another process was first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
