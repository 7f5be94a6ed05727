"""Labels that arrive after the answer: ground truth attached to logged predictions by
request id and row, all or nothing, never to a request or row that was not logged."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from .database import Store, open_store


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
