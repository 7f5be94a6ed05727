"""Columns a request carries for the prediction log only (``serving.log.keep``): a customer id
that the model never reads, kept with each logged row (hashed or dropped as
``serving.log.personal_data`` says) so that a person's predictions can be found and erased.

Every request goes through here, so a server that keeps none pays nothing: no schema lookup,
no dict copied."""

from __future__ import annotations

import functools
from typing import Any

from ..errors import InvalidInput
from .schema import InputSchema


class KeptColumns:
    """The names a request may carry for the log, and how they leave its columns."""

    def __init__(self, names: tuple[str, ...] = ()) -> None:
        self.names = names

    def schema(self, schema: InputSchema) -> InputSchema:
        """What a request is parsed against: the version's columns and the kept ones."""
        return _with_kept(schema, self.names) if self.names else schema

    def split(self, columns: dict[str, Any]) -> dict[str, Any]:
        """Take the kept columns out of a request's (one value per row, like the model's)."""
        if not self.names:
            return {}
        taken = {name: columns.pop(name) for name in self.names if name in columns}
        rows = len(next(iter(columns.values()), ()))
        for name, values in taken.items():
            if len(values) != rows:
                raise InvalidInput(f"column {name!r} has {len(values)} values for {rows} rows")
        return taken


def logged(columns: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The columns a request's log record holds: the model's, and those kept for the log."""
    return {**columns, **kept} if kept else columns


@functools.lru_cache(maxsize=64)
def _with_kept(schema: InputSchema, kept: tuple[str, ...]) -> InputSchema:
    return schema.with_kept(kept)
