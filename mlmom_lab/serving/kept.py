"""Columns a request carries for the prediction log only (``serving.log.keep``): a customer id
that the model never reads, kept with each logged row (hashed or dropped as
``serving.log.personal_data`` says) so that a person's predictions can be found and erased."""

from __future__ import annotations

import functools
from typing import Any

from ..errors import InvalidInput
from .schema import InputSchema


@functools.lru_cache(maxsize=64)
def parsing_schema(schema: InputSchema, kept: tuple[str, ...]) -> InputSchema:
    """What a request is parsed against: the version's columns and those kept for the log."""
    return schema.with_kept(kept) if kept else schema


def split_kept(columns: dict[str, Any], kept: tuple[str, ...]) -> dict[str, Any]:
    """Take the columns kept for the log out of a request's (one value per row, like the
    model's own columns)."""
    taken = {name: columns.pop(name) for name in kept if name in columns}
    rows = len(next(iter(columns.values()), ()))
    for name, values in taken.items():
        if len(values) != rows:
            raise InvalidInput(f"column {name!r} has {len(values)} values for {rows} rows")
    return taken
