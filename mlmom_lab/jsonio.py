"""JSON bytes as the serving hot path and the prediction log write them: orjson, with numpy
arrays and scalars as plain values and NaN as null."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Compact JSON bytes; numpy arrays and scalars as plain values, NaN as null."""
    return orjson.dumps(value, default=plain, option=orjson.OPT_SERIALIZE_NUMPY)


def plain(value: Any) -> Any:
    """numpy arrays and scalars as plain JSON values."""
    return value.tolist() if hasattr(value, "tolist") else str(value)
