"""The prediction log: every request, its inputs, outputs and latency, for monitoring.

An embedded SQLite database (``.mlmom/predictions.db`` by default, WAL mode, so every
worker writes and monitoring reads at the same time). Writes never sit on the response
path: each worker queues records and a writer thread commits them in batches every ~50 ms.
What a crash can lose:

- ``durability: fast`` (default): a ``kill -9`` loses what was queued since the last commit,
  at most ~50 ms of predictions; a graceful shutdown (SIGTERM, Ctrl-C) loses nothing.
- ``durability: safe``: a request is answered only after its record is committed, so no
  acknowledged prediction is ever lost (each request waits for the next batch commit).

Columns configured as personal data are hashed (HMAC-SHA256 with a secret salt) or dropped
before they reach the queue. Labels arrive later through :func:`add_feedback`, keyed by
request id and row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import secrets
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from .http import plain

FLUSH_SECONDS = 0.05
_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    request_id TEXT PRIMARY KEY, ts REAL NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
    route TEXT NOT NULL, n_rows INTEGER NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL,
    latency_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT NOT NULL, ts REAL NOT NULL,
    PRIMARY KEY (request_id, row));
"""


def sqlite_path(uri: str) -> Path:
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        raise InvalidInput(f"prediction log URI {uri!r}: only sqlite:/// is supported so far")
    return Path(uri[len(prefix):])


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    return conn


def salt_for(state_dir: Path) -> bytes:
    """The secret salt: ``MLMOM_LOG_SALT``, else a random one kept (mode 0600) in the state dir."""
    if os.environ.get("MLMOM_LOG_SALT"):
        return os.environ["MLMOM_LOG_SALT"].encode()
    path = state_dir / "log_salt"
    if not path.is_file():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


class PredictionLog:
    """A worker's writer: ``record`` queues, a thread commits batches, ``close`` drains."""

    def __init__(self, path: Path, *, personal_data: dict[str, str] | None = None,
                 salt: bytes = b"", durability: str = "fast") -> None:
        self.path = path
        self.personal = personal_data or {}
        self.salt = salt
        self.safe = durability == "safe"
        self._queue: queue.Queue = queue.Queue()
        self._conn = connect(path)
        self._thread = threading.Thread(target=self._write, name="mlmom-predlog", daemon=True)
        self._thread.start()

    def record(self, *, request_id: str, model: str, version: str, route: str,
               columns: dict[str, Any], outputs: dict[str, Any], latency_ms: float) -> Future | None:
        """Queue one request's record; in safe mode, a future that resolves once committed."""
        done: Future | None = Future() if self.safe else None
        row = (request_id, time.time(), model, version, route, _rows(columns),
               json.dumps(self._protect(columns), default=plain),
               json.dumps(outputs, default=plain), latency_ms)
        self._queue.put((row, done))
        return done

    def _protect(self, columns: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, values in columns.items():
            rule = self.personal.get(name)
            if rule == "drop":
                continue
            values = values.tolist() if hasattr(values, "tolist") else list(values)
            out[name] = [self._hash(v) for v in values] if rule == "hash" else values
        return out

    def _hash(self, value: Any) -> str | None:
        if value is None:
            return None
        return hmac.new(self.salt, str(value).encode(), hashlib.sha256).hexdigest()[:32]

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + FLUSH_SECONDS
            while (left := deadline - time.monotonic()) > 0 and len(batch) < 2000:
                try:
                    batch.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
            stop = any(item is None for item in batch)
            self._commit([item for item in batch if item is not None])
            if stop:
                return

    def _commit(self, batch: list[tuple]) -> None:
        if not batch:
            return
        try:
            with self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany("INSERT OR REPLACE INTO predictions VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?, ?, ?)", [row for row, _ in batch])
        except sqlite3.Error as exc:
            for _, done in batch:
                if done is not None:
                    done.set_exception(exc)
            return
        for _, done in batch:
            if done is not None:
                done.set_result(True)

    def close(self) -> None:
        """Write everything queued, then stop: a graceful shutdown loses nothing."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._conn.close()


def _rows(columns: dict[str, Any]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def add_feedback(path: Path, labels: Any) -> int:
    """Attach ground-truth labels to logged requests: ``[{request_id, label, row?}]``."""
    if not isinstance(labels, list) or not labels:
        raise InvalidInput("'labels' must be a non-empty list of {request_id, label, row}")
    rows = []
    for i, item in enumerate(labels):
        if not isinstance(item, dict) or not isinstance(item.get("request_id"), str) \
                or "label" not in item:
            raise InvalidInput(f"labels[{i}] needs a string 'request_id' and a 'label'")
        row = item.get("row", 0)
        if not isinstance(row, int) or isinstance(row, bool) or row < 0:
            raise InvalidInput(f"labels[{i}].row must be a non-negative integer")
        rows.append((item["request_id"], row, json.dumps(item["label"]), time.time()))
    conn = connect(path)
    try:
        with conn:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)", rows)
    finally:
        conn.close()
    return len(rows)
