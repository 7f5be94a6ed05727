"""Erasing a person's rows from the prediction log and its feedback, and the record of it.

A request may hold many rows, some of them the person's: those rows leave its inputs and
outputs, the labels of the rows after them move up with them, and a request left with no
rows goes entirely. All of it in one transaction (all or nothing), on SQLite and any
SQLAlchemy database alike. The record (in an ``erasures`` table beside the log) says which
column matched, how many rows went and who asked, never the value.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .database import engine, tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Erasure:
    """What one erasure did (the audit trail's record of it)."""

    ts: float
    who: str
    what: str  # "rows where customer_id matched: 3 rows in 2 requests, 1 labels"
    why: str
    n_rows: int
    n_requests: int
    n_labels: int


def erase(
    uri: str, column: str, matches: Any, *, who: str, why: str, dry_run: bool = False
) -> tuple[Erasure, float | None]:
    """Remove every logged row whose ``column`` ``matches(value)`` (with its label), and
    record it; ``dry_run``: count only. The erasure, and when the earliest of those rows
    was logged (None when there was none)."""
    done = {"n_rows": 0, "n_requests": 0, "n_labels": 0}
    first: float | None = None
    with engine(uri).begin() as conn:
        for record in _candidates(conn, column):
            if _erase_rows(conn, record, column, matches, done, dry_run):
                first = record.ts if first is None else min(first, record.ts)
        what = (
            f"rows where {column} matched: {done['n_rows']} rows in {done['n_requests']} "
            f"requests, {done['n_labels']} labels"
        )
        erasure = Erasure(time.time(), who, what, why, **done)
        if not dry_run:
            conn.execute(tables()["erasures"].insert(), [erasure.__dict__])
    return erasure, first


def keeps_column(uri: str, column: str) -> bool:
    """Whether any logged request holds ``column`` among its inputs."""
    import sqlalchemy as sa

    predictions = tables()["predictions"]
    with engine(uri).connect() as conn:
        query = sa.select(predictions.c.request_id).where(_names(predictions, column))
        return conn.execute(query.limit(1)).first() is not None


def history(uri: str) -> list[Erasure]:
    """Every erasure recorded beside the log, oldest first (a SQLite log is read with the
    standard library: a read command need not import SQLAlchemy)."""
    from ..files import sqlite_file

    path = sqlite_file(uri)
    if path is None:
        import sqlalchemy as sa

        table = tables()["erasures"]
        with engine(uri).connect() as conn:
            return [
                Erasure(**r._asdict()) for r in conn.execute(sa.select(table).order_by(table.c.ts))
            ]
    return _sqlite_history(path)


def _sqlite_history(path: Path) -> list[Erasure]:
    import sqlite3
    from contextlib import closing

    from ..files import read_only_sqlite

    if not path.is_file():
        return []  # nothing logged: nothing erased
    columns = ", ".join(f.name for f in fields(Erasure))
    try:
        with closing(read_only_sqlite(path)) as db:
            rows = db.execute(f"SELECT {columns} FROM erasures ORDER BY ts").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a log no erasure has touched yet
        raise
    return [Erasure(*row) for row in rows]


def _candidates(conn: Connection, column: str) -> list[Any]:
    """The requests whose inputs name ``column`` (each is checked row by row after)."""
    import sqlalchemy as sa

    predictions = tables()["predictions"]
    query = sa.select(
        predictions.c.request_id,
        predictions.c.ts,
        predictions.c.n_rows,
        predictions.c.inputs,
        predictions.c.outputs,
    ).where(_names(predictions, column))
    return list(conn.execute(query))


def _names(predictions: Any, column: str) -> Any:
    """Requests whose inputs (JSON text) have a ``column`` key (a superset: checked after)."""
    return predictions.c.inputs.like(f'%"{column}":%')


def _erase_rows(
    conn: Connection, record: Any, column: str, matches: Any, done: dict[str, int], dry_run: bool
) -> bool:
    """Erase the matching rows of one request; whether it had any."""
    inputs, outputs = json.loads(record.inputs), json.loads(record.outputs)
    gone = [i for i, value in enumerate(inputs.get(column, [])) if matches(value)]
    if not gone:
        return False
    done["n_rows"] += len(gone)
    done["n_requests"] += 1
    done["n_labels"] += _move_labels(conn, record.request_id, gone, record.n_rows, dry_run)
    if dry_run:
        return True
    predictions = tables()["predictions"]
    where = predictions.c.request_id == record.request_id
    if len(gone) == record.n_rows:
        conn.execute(predictions.delete().where(where))
        return True
    kept = _without(inputs, gone, record.n_rows), _without(outputs, gone, record.n_rows)
    conn.execute(
        predictions.update()
        .where(where)
        .values(
            n_rows=record.n_rows - len(gone),
            inputs=json.dumps(kept[0]),
            outputs=json.dumps(kept[1]),
        )
    )
    return True


def _without(columns: dict[str, Any], gone: list[int], n_rows: int) -> dict[str, Any]:
    """Every per-row list without the rows ``gone`` (anything else is kept as it is)."""
    drop = set(gone)
    return {
        name: [v for i, v in enumerate(values) if i not in drop]
        if isinstance(values, list) and len(values) == n_rows
        else values
        for name, values in columns.items()
    }


def _move_labels(
    conn: Connection, request_id: str, gone: list[int], n_rows: int, dry_run: bool
) -> int:
    """Delete the labels of the rows ``gone`` and renumber the others of the request; how
    many labels were deleted."""
    import sqlalchemy as sa

    feedback = tables()["feedback"]
    of_request = feedback.c.request_id == request_id
    labels = list(conn.execute(sa.select(feedback).where(of_request)))
    erased = [label for label in labels if label.row in set(gone)]
    if dry_run or not labels:
        return len(erased)
    conn.execute(feedback.delete().where(of_request))
    kept = [
        {**label._asdict(), "row": label.row - sum(g < label.row for g in gone)}
        for label in labels
        if label.row not in set(gone)
    ]
    if kept:
        conn.execute(feedback.insert(), kept)
    return len(erased)
