"""The prediction log: every request, its inputs, outputs and latency, for monitoring.

An embedded SQLite database (``.mlmom/predictions.db`` by default, WAL mode, so every
worker writes and monitoring reads at the same time). Writes never sit on the response
path: each worker queues records and a writer thread commits them in batches every ~50 ms.
What a crash can lose:

- ``durability: fast`` (default): a ``kill -9`` loses what was queued since the last commit,
  at most ~50 ms of predictions; a graceful shutdown (SIGTERM, Ctrl-C) loses nothing.
- ``durability: safe``: a request is answered only after its record is committed, so no
  acknowledged prediction is ever lost (the writer wakes at once; requests that arrive
  while it commits share the next commit).

Columns configured as personal data are hashed (HMAC-SHA256 with a secret salt) or dropped
by the writer thread before anything is written. Labels arrive later through
:func:`add_feedback`, keyed by request id and row: a label for a request or row that was
never logged is refused (404), never kept to attach to a later prediction; a request id
given by the client is used once (a second request under it is refused with 409).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, MlmomError, RequestIdTaken, StoreUnavailable
from ..files import sqlite_file
from .database import SqlAlchemyStore, Store, open_store
from .feedback import add_feedback
from .retention import prune
from .spool import Spool

# a request's record while it waits for the writer: id, time, model, version, route, columns,
# outputs, latency, and in safe mode the future its answer waits on
Pending = tuple[
    str, float, str, str, str, dict[str, Any], dict[str, Any], float, "Future[bool] | None"
]
ErrorRecord = tuple[float, str, str, str, str, int]  # time, model, version, route, code, status

FLUSH_SECONDS = 0.05
LATE_WRITER_SECONDS = 4 * FLUSH_SECONDS  # another worker's queue is committed within it
RETRY_SECONDS = 1.0
MAX_BACKLOG = 200_000  # records kept in memory while the database is down (and no spool)
PRUNE_FIRST_SECONDS = 60.0  # retention: the first prune after a start, then hourly
PRUNE_EVERY_SECONDS = 3600.0
logger = logging.getLogger("mlmom.serving")


def sqlite_path(uri: str) -> Path:
    """The file of a ``sqlite:///`` prediction log (the demo reads it directly)."""
    path = sqlite_file(uri)
    if path is None:
        raise InvalidInput(f"prediction log URI {uri.split('://')[0]}://...: not a SQLite file")
    return path


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
    """A worker's writer: ``record`` queues, a thread encodes and commits, ``close`` drains.

    ``record`` only appends to a deque (no lock, no wake-up in fast mode): encoding the
    features, hashing personal data and the SQLite commit all happen on the writer thread.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        personal_data: Mapping[str, str] | None = None,
        salt: bytes = b"",
        durability: str = "fast",
        spool: Path | None = None,
        retention: float | None = None,
    ) -> None:
        self.store: Store = open_store(target)  # a URI, or a SQLite file path
        # where records wait while a server database is away (a local SQLite log needs none)
        database = self.store if isinstance(self.store, SqlAlchemyStore) else None
        self.spool = Spool(spool, database) if spool and database else None
        self._retry_at = 0.0  # monotonic time before which the database is not tried again
        self.personal = personal_data or {}
        self.salt = salt
        self.safe = durability == "safe"
        self._pending: deque[Pending] = deque()
        self._in_flight: list[Pending] = []  # the batch the writer is committing
        self._errors: deque[ErrorRecord] = deque()  # refused or failed requests, for the error rate
        self._wake = threading.Event()  # set by safe-mode records and by close
        self._closing = False
        self._thread = threading.Thread(target=self._write, name="mlmom-predlog", daemon=True)
        self._thread.start()
        self._closed = threading.Event()
        if retention:
            threading.Thread(
                target=self._prune, args=(retention,), name="mlmom-retention", daemon=True
            ).start()

    def record(
        self,
        *,
        request_id: str,
        model: str,
        version: str,
        route: str,
        columns: dict[str, Any],
        outputs: dict[str, Any],
        latency_ms: float,
    ) -> Future[bool] | None:
        """Queue one request's record; in safe mode, a future that resolves once committed."""
        done: Future[bool] | None = Future() if self.safe else None
        self._pending.append(
            (request_id, time.time(), model, version, route, columns, outputs, latency_ms, done)
        )
        if done is not None:
            self._wake.set()
        return done

    def record_error(self, *, model: str, version: str, route: str, code: str, status: int) -> None:
        """Queue one refused or failed request (no input, no message: nothing personal)."""
        self._errors.append((time.time(), model, version, route, code, status))

    def _write(self) -> None:
        while not self._closing:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self._drain()
        self._drain()

    def _drain(self) -> None:
        if self._errors:
            errors = [self._errors.popleft() for _ in range(len(self._errors))]
            try:
                self.store.write_errors(errors)
            except Exception as exc:  # noqa: BLE001 - counted in /metrics all the same
                logger.warning(
                    "prediction log: %d error records lost (%s)", len(errors), type(exc).__name__
                )
        if self.spool is not None and time.monotonic() >= self._retry_at:
            self._forward()
        # What is queued now, and no more: records that arrive meanwhile wait for the next
        # turn. Chasing them turned the writer into a stream of tiny commits (each ~1.5 ms of
        # CPU, whatever its size) that took the serving thread's GIL a third of the time.
        left = len(self._pending)
        while left > 0:
            # in flight before it leaves the queue: check_new sees a record in one or the other
            self._in_flight = batch = list(itertools.islice(self._pending, min(left, 5000)))
            for _ in batch:
                self._pending.popleft()
            left -= len(batch)
            committed = self._commit(batch)
            self._in_flight = []
            if not committed:
                time.sleep(RETRY_SECONDS)  # the database is down: try again later
                return

    def _commit(self, batch: list[Pending]) -> bool:
        # numpy arrays go to the store as they are: its JSON encoder writes them in C, so the
        # writer holds the GIL (which the serving thread needs) as briefly as it can.
        protect = self._protect if self.personal else _same
        rows = [
            (rid, ts, model, version, route, _rows(columns), protect(columns), outputs, latency)
            for rid, ts, model, version, route, columns, outputs, latency, _ in batch
        ]
        try:
            if time.monotonic() < self._retry_at:
                raise ConnectionError("the prediction log's database is away")
            self.store.write_predictions(rows)
        except Exception as exc:  # noqa: BLE001 - a database that is down must not kill the writer
            self._away(exc)
            if not self._spooled(rows):
                self._failed(batch, exc)
                return False
        _settle(batch, None)
        return True

    def _away(self, exc: Exception) -> None:
        """The database refused a write: leave it alone for :data:`RETRY_SECONDS`."""
        if time.monotonic() >= self._retry_at:
            logger.warning("prediction log: the database refused a write (%s)", _reason(exc))
        self._retry_at = time.monotonic() + RETRY_SECONDS

    def _spooled(self, rows: list[Any]) -> bool:
        """Keep ``rows`` in the spool while the database is away: whether they are kept."""
        if self.spool is None:
            return False
        try:
            self.spool.keep(rows)
        except Exception as exc:  # noqa: BLE001 - the disk too: fall back to memory
            logger.warning("prediction log: the spool refused a write (%s)", _reason(exc))
            return False
        return True

    def _forward(self) -> None:
        """Move what waits in the spool to the database, while it takes it."""
        assert self.spool is not None
        try:
            while self.spool.forward() and not self._closing:
                pass
        except Exception as exc:  # noqa: BLE001 - still away: the spool keeps them
            self._away(exc)

    def _failed(self, batch: list[Pending], exc: Exception) -> None:
        """Safe-mode requests fail (nothing unwritten is acknowledged); the rest is retried."""
        _settle([item for item in batch if item[-1] is not None], exc)
        keep = [item for item in batch if item[-1] is None]
        room = MAX_BACKLOG - len(self._pending)
        self._pending.extendleft(reversed(keep[: max(room, 0)]))
        logger.warning(
            "prediction log: a write failed (%s); %d records kept for a retry, %d dropped",
            type(exc).__name__,
            min(len(keep), max(room, 0)),
            max(len(keep) - max(room, 0), 0),
        )

    def _protect(self, columns: dict[str, Any]) -> dict[str, list[Any]]:
        """The columns as plain lists, personal ones hashed or left out."""
        out = {}
        for name, values in _plain(columns).items():
            rule = self.personal.get(name)
            if rule == "drop":
                continue
            out[name] = [self._hash(v) for v in values] if rule == "hash" else values
        return out

    def _hash(self, value: Any) -> str | None:
        if value is None:
            return None
        return hmac.new(self.salt, str(value).encode(), hashlib.sha256).hexdigest()[:32]

    def _prune(self, retention: float) -> None:
        """Delete what is older than ``retention`` seconds, a minute after the start and then
        every hour (in batches, on its own connection: the writer goes on meanwhile)."""
        wait = PRUNE_FIRST_SECONDS
        while not self._closed.wait(wait):
            wait = PRUNE_EVERY_SECONDS
            try:
                prune(self.store, retention)
            except Exception as exc:  # noqa: BLE001 - the next turn tries again
                logger.warning("prediction log: retention failed (%s)", _reason(exc))

    def close(self) -> None:
        """Write everything queued, then stop: a graceful shutdown loses nothing (what the
        database refused stays in the spool, for the next server to forward)."""
        self._closing = True
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.store.close()
        if self.spool is not None:
            self.spool.close()

    def add_feedback(self, labels: Any) -> int:
        """:func:`add_feedback` into this log's store, once what this worker queued is
        written; a request another worker answered may still sit in its writer's queue,
        so unknown rows are looked up again after that writer's next commit."""
        self.flush()
        try:
            return add_feedback(self.store, labels, settle=LATE_WRITER_SECONDS)
        except MlmomError:
            raise
        except Exception as exc:  # noqa: BLE001 - the database: labels are checked there
            raise StoreUnavailable(
                f"the prediction log's database does not answer ({_reason(exc)}): "
                "send the labels again later"
            ) from None

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what this worker queued so far is committed (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.005)

    def check_new(self, request_id: str) -> None:
        """Refuse a client's request id that already named a logged (or queued) request:
        a late label must never attach to the wrong prediction."""
        queued = [*self._pending, *self._in_flight]  # each copied at once, under the GIL
        if any(item[0] == request_id for item in queued) or self._logged(request_id):
            raise RequestIdTaken(
                f"request id {request_id!r} was already used: give each "
                "request its own x-request-id (labels are attached by it)"
            )

    def _logged(self, request_id: str) -> bool:
        """Whether a request id is in the log, or in its spool. While the database is away,
        the spool is all that can be asked: the request is answered all the same."""
        try:
            if time.monotonic() >= self._retry_at and self.store.row_counts([request_id]):
                return True
        except Exception as exc:  # noqa: BLE001 - away: an outage must not refuse requests
            self._away(exc)
        return self.spool is not None and self.spool.holds(request_id)


def _reason(exc: Exception) -> str:
    """What went wrong, on one line and without a URL's password (SQLAlchemy's messages
    carry the statement and parameters: the type and the driver's first line are enough)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first}"[:200]


def _plain(arrays: dict[str, Any]) -> dict[str, Any]:
    """numpy arrays as lists (one C call each), so the encoder needs no Python callbacks."""
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in arrays.items()}


def _same(columns: dict[str, Any]) -> dict[str, Any]:
    return columns


def _settle(batch: list[Pending], error: Exception | None) -> None:
    for *_, done in batch:
        if done is None:
            continue
        if error is None:
            done.set_result(True)
        else:
            done.set_exception(error)


def _rows(columns: dict[str, Any]) -> int:
    return len(next(iter(columns.values()))) if columns else 0
