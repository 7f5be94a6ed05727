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
import json
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

from ..errors import InvalidInput, NotFound, RequestIdTaken
from .database import Store, open_store

# a request's record while it waits for the writer: id, time, model, version, route, columns,
# outputs, latency, and in safe mode the future its answer waits on
Pending = tuple[
    str, float, str, str, str, dict[str, Any], dict[str, Any], float, "Future[bool] | None"
]
ErrorRecord = tuple[float, str, str, str, str, int]  # time, model, version, route, code, status

FLUSH_SECONDS = 0.05
LATE_WRITER_SECONDS = 4 * FLUSH_SECONDS  # another worker's queue is committed within it
RETRY_SECONDS = 1.0
MAX_BACKLOG = 200_000  # records kept in memory while the database is down
logger = logging.getLogger("mlmom.serving")


def sqlite_path(uri: str) -> Path:
    """The file of a ``sqlite:///`` prediction log (the demo reads it directly)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        raise InvalidInput(f"prediction log URI {uri.split('://')[0]}://...: not a SQLite file")
    return Path(uri[len(prefix) :])


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
    ) -> None:
        self.store: Store = open_store(target)  # a URI, or a SQLite file path
        self.personal = personal_data or {}
        self.salt = salt
        self.safe = durability == "safe"
        self._pending: deque[Pending] = deque()
        self._errors: deque[ErrorRecord] = deque()  # refused or failed requests, for the error rate
        self._wake = threading.Event()  # set by safe-mode records and by close
        self._closing = False
        self._thread = threading.Thread(target=self._write, name="mlmom-predlog", daemon=True)
        self._thread.start()

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
        # What is queued now, and no more: records that arrive meanwhile wait for the next
        # turn. Chasing them turned the writer into a stream of tiny commits (each ~1.5 ms of
        # CPU, whatever its size) that took the serving thread's GIL a third of the time.
        left = len(self._pending)
        while left > 0:
            batch = [self._pending.popleft() for _ in range(min(left, 5000))]
            left -= len(batch)
            if not self._commit(batch):
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
            self.store.write_predictions(rows)
        except Exception as exc:  # noqa: BLE001 - a database that is down must not kill the writer
            self._failed(batch, exc)
            return False
        _settle(batch, None)
        return True

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

    def close(self) -> None:
        """Write everything queued, then stop: a graceful shutdown loses nothing."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=30)
        self.store.close()

    def add_feedback(self, labels: Any) -> int:
        """:func:`add_feedback` into this log's store, once what this worker queued is
        written; a request another worker answered may still sit in its writer's queue,
        so unknown rows are looked up again after that writer's next commit."""
        self.flush()
        return add_feedback(self.store, labels, settle=LATE_WRITER_SECONDS)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what this worker queued so far is committed (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.005)

    def check_new(self, request_id: str) -> None:
        """Refuse a client's request id that already named a logged (or queued) request:
        a late label must never attach to the wrong prediction."""
        if any(item[0] == request_id for item in list(self._pending)) or self.store.row_counts(
            [request_id]
        ):
            raise RequestIdTaken(
                f"request id {request_id!r} was already used: give each "
                "request its own x-request-id (labels are attached by it)"
            )


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


def add_feedback(target: Store | str | Path, labels: Any, *, settle: float = 0.0) -> int:
    """Attach ground-truth labels to logged requests: ``[{request_id, label, row?}]``.

    ``target`` is the prediction log: its URI, a SQLite file, or an open store. All or
    nothing: a label whose request id or row was never logged is refused (:class:`NotFound`,
    naming it) and no label of the call is kept. ``settle`` seconds: how long to give writers
    still committing before an unknown one is refused.
    """
    if not isinstance(labels, list) or not labels:
        raise InvalidInput("'labels' must be a non-empty list of {request_id, label, row}")
    rows = []
    for i, item in enumerate(labels):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("request_id"), str)
            or "label" not in item
        ):
            raise InvalidInput(f"labels[{i}] needs a string 'request_id' and a 'label'")
        row = item.get("row", 0)
        if not isinstance(row, int) or isinstance(row, bool) or row < 0:
            raise InvalidInput(f"labels[{i}].row must be a non-negative integer")
        rows.append((item["request_id"], row, json.dumps(item["label"]), time.time()))
    store = open_store(target) if isinstance(target, (str, Path)) else target
    try:
        _check_logged(store, rows, settle)
        store.write_feedback(rows)
    finally:
        if store is not target:
            store.close()
    return len(rows)


def _check_logged(store: Store, rows: list[tuple[Any, ...]], settle: float) -> None:
    """Every label's request was logged with at least that many rows, else NotFound."""
    unknown = _unknown(store, rows)
    if unknown and settle:
        time.sleep(settle)
        unknown = _unknown(store, rows)
    if not unknown:
        return
    index, (request_id, row, *_), counts = unknown[0]
    what = (
        f"no prediction was logged under request id {request_id!r}"
        if counts is None
        else f"request {request_id!r} logged {counts} row(s), so it has no row {row}"
    )
    raise NotFound(
        f"labels[{index}]: {what}; no label of this call was kept"
        + (f" ({len(unknown)} unknown in all)" if len(unknown) > 1 else "")
    )


def _unknown(
    store: Store, rows: list[tuple[Any, ...]]
) -> list[tuple[int, tuple[Any, ...], int | None]]:
    counts = store.row_counts([r[0] for r in rows])
    return [(i, r, counts.get(r[0])) for i, r in enumerate(rows) if r[1] >= counts.get(r[0], 0)]
