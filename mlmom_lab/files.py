"""Files the workbench keeps its state in, written so that no reader ever sees half of one."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    write_bytes(path, json.dumps(value, indent=1, default=str).encode())


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def sqlite_file(uri: str) -> Path | None:
    """The file of a plain ``sqlite:///`` URI (``sqlite:////abs/path``, or relative to the
    working folder as in SQLAlchemy); None for another database, or a URI with options."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or "?" in uri:
        return None
    return Path(uri[len(prefix) :])


def read_only_sqlite(path: Path, busy_ms: int = 5_000) -> sqlite3.Connection:
    """A connection that cannot write to the SQLite file at ``path`` (it must exist), waiting up
    to ``busy_ms`` behind a writer; autocommit: a caller wanting one snapshot says BEGIN."""
    db = sqlite3.connect(
        f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None, timeout=busy_ms / 1000
    )
    db.execute(f"PRAGMA busy_timeout = {busy_ms}")
    return db
