"""The prediction log mirrored to Parquet, one folder per UTC day, for checks at scale.

Each sync appends the rows logged since the last one (older than ``lag`` seconds, so that
a batch a worker commits late is not skipped) as files named by the time span they cover:
``day=2026-12-03/1796256000.0-1796259600.25.parquet`` holds the rows with
``first < ts <= last`` of that day. A file is written under a temporary name and renamed,
and where the mirror stands is the greatest ``last`` of its file names, so a sync that is
interrupted leaves no half file and the next one carries on from the last whole file.

One row per predicted row, as a window reads it: the features, ``__prediction__``,
``__score__``, ``request_id``, ``row``, ``ts``, ``route``, ``model``, ``version`` and
``latency_ms`` (on each request's first row only: one latency per request).
"""

from __future__ import annotations

import datetime
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..predictions.database import Row
from .columnar import literal

if TYPE_CHECKING:
    import pandas as pd

BATCH_REQUESTS = 100_000  # requests looked at per file
BATCH_ROWS = 1_000_000  # predicted rows per file at most, unless one timestamp holds more
LAG_SECONDS = 60.0


def position(folder: Path) -> float:
    """The time up to which the mirror holds the log (0 before the first sync)."""
    ends = [float(p.stem.split("-")[-1]) for p in folder.glob("day=*/*.parquet")]
    return max(ends, default=0.0)


def sync(uri: str, folder: Path, *, now: float | None = None, lag: float | None = None) -> int:
    """Append what the log at ``uri`` holds beyond the mirror in ``folder``, up to ``lag``
    seconds (default :data:`LAG_SECONDS`) before ``now``; the rows added."""
    cutoff = (time.time() if now is None else now) - (LAG_SECONDS if lag is None else lag)
    added = 0
    while True:
        after = position(folder)
        records = _next_batch(uri, after, min(cutoff, _day_end(after, uri, cutoff)))
        if not records:
            return added
        added += _write(folder, after, records)


def forget_before(folder: Path, cutoff: float) -> int:
    """Delete the days that ended before ``cutoff`` (the log's retention, applied by whole
    days: a day's rows go once all of them are older); how many days went."""
    import shutil

    gone = 0
    for day in sorted(folder.glob("day=*")):
        try:
            date = datetime.date.fromisoformat(day.name.removeprefix("day="))
        except ValueError:
            continue  # not a folder of ours
        end = datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time(),
                                        datetime.UTC)  # fmt: skip
        if end.timestamp() <= cutoff:
            shutil.rmtree(day)
            gone += 1
    return gone


def relation(folder: Path) -> str:
    """The mirror as a DuckDB relation (every day's files, columns matched by name)."""
    if not any(folder.glob("day=*/*.parquet")):
        raise InvalidInput(f"the prediction log's mirror in {folder} is empty: run a sync first")
    files = literal(str(folder / "day=*" / "*.parquet"))
    return f"read_parquet('{files}', union_by_name = true, hive_partitioning = false)"


def _day_end(after: float, uri: str, cutoff: float) -> float:
    """The end of the UTC day of the first row after ``after`` (a file holds one day)."""
    import sqlalchemy as sa

    from ..predictions.database import engine

    with engine(uri).connect() as conn:
        first = conn.execute(
            sa.text("SELECT MIN(ts) FROM predictions WHERE ts > :after AND ts <= :cutoff"),
            {"after": after, "cutoff": cutoff},
        ).scalar()
    if first is None:
        return cutoff
    day = datetime.datetime.fromtimestamp(float(first), datetime.UTC).date()
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                         datetime.UTC)  # fmt: skip
    return math.nextafter(midnight.timestamp(), -math.inf)  # the day's last instant


def _next_batch(uri: str, after: float, through: float) -> list[Row]:
    """The requests with ``after < ts <= end``, oldest first, where ``end`` keeps the batch
    to :data:`BATCH_ROWS` predicted rows (a request of a million rows counts as one) and never
    splits a timestamp; at least one timestamp is taken whole."""
    import sqlalchemy as sa

    from ..predictions.database import engine

    sizes = sa.text(  # n_rows precedes the payload: the JSON is not read for this
        "SELECT ts, n_rows FROM predictions WHERE ts > :after AND ts <= :through "
        "ORDER BY ts LIMIT :n"
    )
    rows = sa.text(
        "SELECT request_id, ts, route, n_rows, inputs, outputs, latency_ms, model, version "
        "FROM predictions WHERE ts > :after AND ts <= :end ORDER BY ts"
    )
    with engine(uri).connect() as conn:
        found = conn.execute(sizes, {"after": after, "through": through, "n": BATCH_REQUESTS})
        end = batch_end([(float(ts), int(n)) for ts, n in found], BATCH_REQUESTS, BATCH_ROWS)
        if end is None:
            return []
        return [tuple(r) for r in conn.execute(rows, {"after": after, "end": end})]


def batch_end(sizes: list[tuple[float, int]], limit: int, most_rows: int) -> float | None:
    """The last timestamp to take from ``sizes`` ((ts, rows) of up to ``limit`` requests in
    time order): whole timestamps only, adding up to ``most_rows`` rows or the first one."""
    import itertools

    stamps = [
        (ts, sum(n for _, n in group)) for ts, group in itertools.groupby(sizes, lambda s: s[0])
    ]
    if len(sizes) == limit and len(stamps) > 1:
        stamps.pop()  # the last timestamp may hold more requests beyond the limit
    end, total = None, 0
    for ts, rows in stamps:
        if end is not None and total + rows > most_rows:
            break
        end, total = ts, total + rows
    return end


def _write(folder: Path, after: float, records: list[Row]) -> int:
    frame = _frame(records)
    through = float(records[-1][1])
    day = datetime.datetime.fromtimestamp(float(records[0][1]), datetime.UTC).date().isoformat()
    # the span's ends as Python writes floats: read back, they are the same numbers exactly
    target = folder / f"day={day}" / f"{after!r}-{through!r}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, target)
    return len(frame)


def _frame(records: list[Row]) -> pd.DataFrame:
    """The records as a window reads them, with model, version and one latency per request."""
    from .windows import expand

    frame = expand([r[:7] for r in records], None)
    firsts = frame["row"] == 0
    by_request: dict[Any, tuple[Any, ...]] = {r[0]: (r[6], r[7], r[8]) for r in records}
    meta = frame["request_id"].map(by_request)
    frame["latency_ms"] = [m[0] for m in meta]
    frame.loc[~firsts, "latency_ms"] = None
    frame["model"] = [m[1] for m in meta]
    frame["version"] = [str(m[2]) for m in meta]
    return frame
