"""Where the prediction log lives: SQLite in the project, or a server database by URI.

``sqlite:///path`` (the default, ``.mlmom/predictions.db``) is written with the standard
library in WAL mode, so every worker writes and monitoring reads at the same time. Any other
SQLAlchemy URL (``postgresql+psycopg://user@host/db``, ``mysql+pymysql://...``) goes through
SQLAlchemy Core with the same two tables; a record written twice under one request id
replaces the first, as in SQLite. Passwords in a URL never appear in an error message.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidRequest, StoreUnavailable
from ..jsonio import dumps
from ..store_errors import without_password

if TYPE_CHECKING:
    from sqlalchemy import Engine, Insert, MetaData, Table

Row = tuple[Any, ...]  # one row of a table, its values in the order of its columns

PREDICTION_COLUMNS = (
    "request_id",
    "ts",
    "model",
    "version",
    "route",
    "n_rows",
    "inputs",
    "outputs",
    "latency_ms",
)
FEEDBACK_COLUMNS = ("request_id", "row", "label", "ts")
ERROR_COLUMNS = ("ts", "model", "version", "route", "code", "status")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    request_id TEXT PRIMARY KEY, ts REAL NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
    route TEXT NOT NULL, n_rows INTEGER NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL,
    latency_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, row INTEGER NOT NULL, label TEXT NOT NULL, ts REAL NOT NULL,
    PRIMARY KEY (request_id, row));
CREATE TABLE IF NOT EXISTS errors (
    ts REAL NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, route TEXT NOT NULL,
    code TEXT NOT NULL, status INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS errors_ts ON errors (ts);
"""


_INSERT_FROM_JSON = (
    "INSERT OR REPLACE INTO predictions SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(PREDICTION_COLUMNS)))
    + " FROM json_each(?)"
)


class Store(Protocol):
    """``write_predictions`` takes rows in :data:`PREDICTION_COLUMNS` order, with ``inputs``
    and ``outputs`` still as JSON-ready objects: each store encodes them its own way."""

    def write_predictions(self, rows: list[Row]) -> None: ...
    def write_feedback(self, rows: list[Row]) -> None: ...
    def write_errors(self, rows: list[Row]) -> None: ...
    def row_counts(self, request_ids: list[str]) -> dict[str, int]: ...
    def close(self) -> None: ...


def open_store(target: str | Path) -> Store:
    """The store for a URI (``sqlite:///...`` or any SQLAlchemy URL) or a SQLite file path."""
    text = str(target)
    if "://" not in text:
        return SQLiteStore(Path(text))
    if text.startswith("sqlite:///"):
        return SQLiteStore(Path(text[len("sqlite:///") :]))
    return SqlAlchemyStore(text)


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # with WAL, a commit survives a process crash
    conn.executescript(_SCHEMA)
    return conn


class SQLiteStore:
    """One connection for the writer thread; feedback, from other threads, opens its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = connect(path)
        self._readers = threading.local()

    def write_predictions(self, rows: list[Row]) -> None:
        # The whole batch as one JSON parameter and one statement: executemany would release
        # and retake the GIL for every row, and each retake can wait for the serving thread's
        # switch interval (measured: ~15% of the server's throughput).
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.execute(_INSERT_FROM_JSON, (dumps(rows),))

    def write_errors(self, rows: list[Row]) -> None:
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT INTO errors VALUES (?, ?, ?, ?, ?, ?)", rows)

    def write_feedback(self, rows: list[Row]) -> None:
        conn = connect(self.path)
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)", rows)
        finally:
            conn.close()

    def row_counts(self, request_ids: list[str]) -> dict[str, int]:
        """How many rows each of ``request_ids`` logged (ids never logged are absent)."""
        conn = self._reader()
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(set(request_ids))):
            marks = ", ".join("?" * len(chunk))
            found.update(
                conn.execute(
                    f"SELECT request_id, n_rows FROM predictions WHERE request_id IN ({marks})",
                    chunk,
                ).fetchall()
            )
        return found

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (the writer's belongs to the writer thread)."""
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = connect(self.path)
        return conn

    def close(self) -> None:
        self._conn.close()


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class SqlAlchemyStore:
    """A server database through SQLAlchemy Core; its pool serves every thread."""

    def __init__(self, uri: str) -> None:
        import sqlalchemy as sa

        try:
            url = sa.engine.make_url(uri)
        except sa.exc.ArgumentError:
            raise InvalidRequest(
                f"prediction log URI {uri.split('://')[0]}://... is not a database URL"
            ) from None
        self.shown = url.render_as_string(hide_password=True)
        try:
            self.engine = engine(uri)
        except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
            raise InvalidRequest(
                f"prediction log {self.shown}: its driver is not installed ({exc})"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            # only DBAPI errors carry the driver's own (orig): an ArgumentError has none
            orig = getattr(exc, "orig", None) or exc
            said = str(orig).strip().splitlines()
            raise StoreUnavailable(
                f"prediction log {self.shown} is unreachable: {type(orig).__name__}"
                + (f": {without_password(said[0])}" if said else "")
            ) from None
        self.predictions, self.feedback, self.errors = (
            tables()[name] for name in ("predictions", "feedback", "errors")
        )

    def write_predictions(self, rows: list[Row]) -> None:
        self.write_encoded_predictions(
            [(*row[:6], _text(row[6]), _text(row[7]), row[8]) for row in rows]
        )

    def write_encoded_predictions(self, rows: list[Row]) -> None:
        """Rows whose inputs and outputs are JSON text already (from the spool)."""
        self._upsert(self.predictions, PREDICTION_COLUMNS, ("request_id",), rows)

    def write_feedback(self, rows: list[Row]) -> None:
        self._upsert(self.feedback, FEEDBACK_COLUMNS, ("request_id", "row"), rows)

    def row_counts(self, request_ids: list[str]) -> dict[str, int]:
        """How many rows each of ``request_ids`` logged (ids never logged are absent)."""
        import sqlalchemy as sa

        table = self.predictions
        found: dict[str, int] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(request_ids))):
                found.update(
                    conn.execute(
                        sa.select(table.c.request_id, table.c.n_rows).where(
                            table.c.request_id.in_(chunk)
                        )
                    ).all()
                )
        return found

    def write_errors(self, rows: list[Row]) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.errors.insert(), [dict(zip(ERROR_COLUMNS, r)) for r in rows])

    def _upsert(
        self, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], rows: list[Row]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                _upsert(table, keys, self.engine.dialect.name),
                [dict(zip(columns, row)) for row in rows],
            )

    def close(self) -> None:
        self.engine.dispose()


def _text(value: Any) -> str:
    return dumps(value).decode()


_ENGINES: dict[str, Engine] = {}
_TABLES: dict[str, Table] = {}


def engine(uri: str) -> Engine:
    """One SQLAlchemy engine per log URI and process, its tables created on first use (the
    monitoring side reads the same log through it, whatever the database)."""
    if uri not in _ENGINES:
        import sqlalchemy as sa

        created = sa.create_engine(uri, pool_pre_ping=True)
        tables()["predictions"].metadata.create_all(created)  # if absent; may raise
        _ENGINES[uri] = created
    return _ENGINES[uri]


def tables() -> dict[str, Table]:
    """The log's tables as SQLAlchemy Core objects: predictions, feedback, errors, alerts,
    erasures."""
    if not _TABLES:
        import sqlalchemy as sa

        _TABLES.update(_tables(sa.MetaData()))
    return _TABLES


def _tables(metadata: MetaData) -> dict[str, Table]:
    import sqlalchemy as sa

    predictions = sa.Table(
        "predictions",
        metadata,
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("ts", sa.Float, nullable=False, index=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
    )
    feedback = sa.Table(
        "feedback",
        metadata,
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("row", sa.Integer, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )
    errors = sa.Table(
        "errors",
        metadata,
        sa.Column("ts", sa.Float, nullable=False, index=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
    )
    alerts = sa.Table(
        "alerts",
        metadata,
        sa.Column("rule", sa.String(128), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ts", sa.Float, nullable=False, index=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("limit", sa.Float, nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    erasures = sa.Table(
        "erasures",
        metadata,
        sa.Column("ts", sa.Float, nullable=False, index=True),
        sa.Column("who", sa.String(256), nullable=False),
        sa.Column("what", sa.Text, nullable=False),  # which column matched, never the value
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_requests", sa.Integer, nullable=False),
        sa.Column("n_labels", sa.Integer, nullable=False),
    )
    return {
        "predictions": predictions,
        "feedback": feedback,
        "errors": errors,
        "alerts": alerts,
        "erasures": erasures,
    }


def _upsert(table: Table, keys: tuple[str, ...], dialect: str) -> Insert:
    """INSERT that replaces the row with the same key, in the database's own dialect."""
    if dialect in ("postgresql", "sqlite"):
        module = __import__(f"sqlalchemy.dialects.{dialect}", fromlist=["insert"])
        stmt = module.insert(table)  # postgresql's or sqlite's Insert, the same API
        upsert: Insert = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys},
        )
        return upsert
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert

        stmt = insert(table)
        return stmt.on_duplicate_key_update(
            {c.name: stmt.inserted[c.name] for c in table.c if c.name not in keys}
        )
    return table.insert()
