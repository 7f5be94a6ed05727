"""Retention: predictions older than ``monitoring.retention`` leave the log, with their labels.

Rows go in batches, each its own short transaction, so a writer waits at most for one batch
(a few milliseconds), never for the whole prune; a prune that stops halfway (a crash, a
database that goes away) has deleted whole batches only, and the next one goes on.
"""

from __future__ import annotations

import time
from typing import Any

from .database import SqlAlchemyStore, SQLiteStore, Store, connect

BATCH = 5000


def prune(store: Store, older_than: float, *, batch: int = BATCH, now: float | None = None) -> int:
    """Delete the predictions logged more than ``older_than`` seconds ago, their labels and
    the error records of that age: how many predictions went."""
    cutoff = (time.time() if now is None else now) - older_than
    step = _sqlite_batch if isinstance(store, SQLiteStore) else _database_batch
    deleted = 0
    while True:
        n = step(store, cutoff, batch)
        deleted += n
        if n < batch:
            return deleted


def _sqlite_batch(store: Any, cutoff: float, batch: int) -> int:
    conn = connect(store.path)
    try:
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT request_id FROM predictions WHERE ts < ? LIMIT ?", (cutoff, batch)
                )
            ]
            conn.executemany("DELETE FROM feedback WHERE request_id = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM predictions WHERE request_id = ?", [(i,) for i in ids])
            conn.execute(
                "DELETE FROM errors WHERE rowid IN (SELECT rowid FROM errors WHERE ts < ? LIMIT ?)",
                (cutoff, batch),
            )
        return len(ids)
    finally:
        conn.close()


def _database_batch(store: Any, cutoff: float, batch: int) -> int:
    import sqlalchemy as sa

    assert isinstance(store, SqlAlchemyStore)
    predictions, feedback, errors = store.predictions, store.feedback, store.errors
    with store.engine.begin() as conn:
        ids = list(
            conn.execute(
                sa.select(predictions.c.request_id).where(predictions.c.ts < cutoff).limit(batch)
            ).scalars()
        )
        if ids:
            conn.execute(sa.delete(feedback).where(feedback.c.request_id.in_(ids)))
            conn.execute(sa.delete(predictions).where(predictions.c.request_id.in_(ids)))
        old_errors = sa.select(errors.c.ts).where(errors.c.ts < cutoff).limit(batch)
        conn.execute(sa.delete(errors).where(errors.c.ts.in_(old_errors)))
    return len(ids)
