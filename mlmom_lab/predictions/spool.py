"""A prediction log on a server database keeps answering while that database is away.

A batch the database refuses (down, restarting, unreachable) is committed to a spool instead:
a SQLite file in the project's state folder, shared by the server's workers. In ``safe`` mode
a request is acknowledged once its record is in the spool (on this machine's disk, as with a
local log), so an outage costs neither an answer nor a record. Once the database answers
again, the writers forward the spool to it, oldest first, in batches. The database keeps one
record per request id (an upsert), so a forward repeated after a crash (committed there,
not yet deleted here) leaves no duplicate; forwards take the spool's write lock, so two
workers never forward the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .database import PREDICTION_COLUMNS, Row, SQLiteStore, connect

FORWARD_BATCH = 5000


class EncodedWriter(Protocol):
    def write_encoded_predictions(self, rows: list[Row]) -> None: ...


class Spool:
    """The spool of one prediction log: ``keep`` what the database refused, ``forward`` it."""

    def __init__(self, path: Path, database: EncodedWriter) -> None:
        self.path = path
        self.database = database
        self._store = SQLiteStore(path)  # the writer thread's connection
        self._forwarder = connect(path)  # its own, for the forward's long transaction

    def keep(self, rows: list[Row]) -> None:
        """Commit rows (in :data:`PREDICTION_COLUMNS` order) to the spool."""
        self._store.write_predictions(rows)

    def holds(self, request_id: str) -> bool:
        return bool(self._store.row_counts([request_id]))

    def forward(self) -> int:
        """Move up to :data:`FORWARD_BATCH` of the oldest rows to the database: how many
        moved. Raises what the database raises (then nothing leaves the spool)."""
        conn = self._forwarder
        conn.execute("BEGIN IMMEDIATE")  # one forwarder at a time; keep() waits meanwhile
        try:
            rows = conn.execute(
                f"SELECT {', '.join(PREDICTION_COLUMNS)} FROM predictions ORDER BY ts LIMIT ?",
                (FORWARD_BATCH,),
            ).fetchall()
            if rows:
                self.database.write_encoded_predictions(rows)
                conn.executemany(
                    "DELETE FROM predictions WHERE request_id = ?", [(r[0],) for r in rows]
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    def close(self) -> None:
        self._store.close()
        self._forwarder.close()
