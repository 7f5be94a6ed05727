"""A model's input contract, from its MLflow signature, and validation of request batches.

A batch is a mapping of column name to a 1-D numpy array, all of one length: the shape both
protocols arrive in (Open Inference v2 sends one input per column; MLflow's payloads are
columns or records) and the shape ONNX Runtime wants, so no DataFrame is built on the way
unless the model itself needs one. Every problem is an :class:`InvalidInput` naming the
column, the row and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput

if TYPE_CHECKING:
    from mlflow.models import ModelSignature

# MLflow column type -> (Open Inference v2 datatype, numpy dtype, kind)
_TYPES: dict[str, tuple[str, str, str]] = {
    "double": ("FP64", "float64", "float"),
    "float": ("FP32", "float32", "float"),
    "long": ("INT64", "int64", "int"),
    "integer": ("INT32", "int32", "int"),
    "boolean": ("BOOL", "bool", "bool"),
    "string": ("BYTES", "object", "str"),
}
# Up to this many rows, values that are plainly valid are checked in Python and typed in one
# numpy call: numpy's per-call cost on tiny arrays was a third of a one-row request.
SMALL = 16
_FLOAT_LIMIT = {"double": float(np.finfo(np.float64).max), "float": float(np.finfo(np.float32).max)}
_INT_RANGE = {
    t: (int(np.iinfo(d).min), int(np.iinfo(d).max))
    for t, d in (("long", np.int64), ("integer", np.int32))
}
V2_NUMERIC = {
    "FP64",
    "FP32",
    "FP16",
    "INT64",
    "INT32",
    "INT16",
    "INT8",
    "UINT64",
    "UINT32",
    "UINT16",
    "UINT8",
}


def v2_datatype(dtype: np.dtype) -> str:
    """The Open Inference v2 datatype of a numpy dtype (text and objects are BYTES)."""
    if dtype.kind == "b":
        return "BOOL"
    if dtype.kind == "f":
        return f"FP{dtype.itemsize * 8}"
    if dtype.kind in "iu":
        return dtype.name.upper()
    return "BYTES"


@dataclass(frozen=True)
class ColumnSpec:
    """One input column: its name, MLflow type, v2 datatype, whether it may be left out, and
    whether the model takes a missing value in it (measured when the version was registered:
    a column the model refuses gaps in gets a 400 for null or NaN, never a made-up answer)."""

    name: str
    type: str
    required: bool = True
    gaps: bool = True

    @property
    def datatype(self) -> str:
        return _TYPES[self.type][0]

    @property
    def kind(self) -> str:
        return _TYPES[self.type][2]

    @property
    def numpy_dtype(self) -> str:
        return _TYPES[self.type][1]

    def as_v2(self) -> dict[str, Any]:
        """The column as Open Inference v2 model metadata lists an input."""
        return {
            "name": self.name,
            "datatype": self.datatype,
            "shape": [-1],
            "parameters": {"required": self.required, "nullable": self.nullable},
        }

    @property
    def nullable(self) -> bool:
        """Whether null (or NaN) is answered: never in an integer column (the signature's type
        has no gap), else where the model takes gaps."""
        return self.gaps and self.kind != "int"


@dataclass(frozen=True)
class InputSchema:
    """The ordered input columns of a model version."""

    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def with_kept(self, names: tuple[str, ...]) -> InputSchema:
        """This schema also taking ``names`` as optional text columns: what a request may
        carry for the prediction log only (``serving.log.keep``), never for the model."""
        extra = tuple(ColumnSpec(n, "string", required=False) for n in names if n not in self.names)
        return InputSchema(self.columns + extra)

    def validate(self, batch: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Typed columns for ``batch``, or :class:`InvalidInput` naming what is wrong."""
        return self.typed(batch, self.check_shape(batch))

    def check_shape(self, batch: Mapping[str, Any]) -> int:
        """The number of rows, once the columns are the right ones and of one length.

        The cheap half of :meth:`validate`: the micro-batcher checks each request's shape
        alone, then types many requests' values in one go with :meth:`typed`.
        """
        extra = [name for name in batch if name not in self._known]
        if extra:
            raise InvalidInput(f"unknown column {extra[0]!r} (expected: {', '.join(self.names)})")
        missing = [name for name in self._required if name not in batch]
        if missing:
            raise InvalidInput(f"missing column {missing[0]!r}")
        return _row_count(batch)

    def typed(self, batch: Mapping[str, Any], rows: int) -> dict[str, np.ndarray]:
        """The columns of a shape-checked batch as numpy arrays of the signature's types."""
        return {c.name: _typed(c, batch.get(c.name), rows) for c in self.columns}

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns)

    @cached_property
    def _required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def from_signature(
    signature: ModelSignature | None, refuses_gaps: list[str] | tuple[str, ...] = ()
) -> InputSchema:
    """The schema of an MLflow ``ModelSignature`` with named columns; ``refuses_gaps``
    names the columns the model takes no missing value in."""
    if signature is None or not signature.inputs.has_input_names():
        raise InvalidInput("the model's signature has no named columns")
    return from_columns(signature.inputs.to_dict(), refuses_gaps)


def from_columns(
    columns: list[dict[str, Any]], refuses_gaps: list[str] | tuple[str, ...] = ()
) -> InputSchema:
    """The schema of a signature's inputs as MLflow writes them in the ``MLmodel`` file
    (``[{"type": "long", "name": "age", "required": true}, ...]``)."""
    specs = []
    for col in columns:
        name, type_name = col.get("name"), str(col.get("type"))
        if name is None:
            raise InvalidInput("the model's signature has no named columns")
        if type_name not in _TYPES:
            raise InvalidInput(
                f"column {name!r} has type {type_name}, which serving does not support"
            )
        specs.append(
            ColumnSpec(name, type_name, bool(col.get("required", True)), name not in refuses_gaps)
        )
    return InputSchema(tuple(specs))


def _row_count(batch: Mapping[str, Any]) -> int:
    lengths = {name: len(values) for name, values in batch.items()}
    if not lengths or max(lengths.values()) == 0:
        raise InvalidInput("empty batch: no rows to predict")
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n}={k}" for n, k in lengths.items())
        raise InvalidInput(f"columns have different lengths ({shown})")
    return next(iter(lengths.values()))


def _typed(col: ColumnSpec, values: Sequence[Any] | np.ndarray | None, rows: int) -> np.ndarray:
    """One column as a numpy array of the signature's type."""
    if type(values) is list and len(values) <= SMALL:
        plain = _plainly_valid(col, values)
        if plain is not None:
            return plain
    if values is None:  # an optional column left out
        if not col.gaps:
            raise _refused_gap(col, 0, "left out")
        return np.full(rows, np.nan) if col.kind == "float" else np.full(rows, None, object)
    array = values if isinstance(values, np.ndarray) else _array(values)
    if array.ndim != 1:
        nested = next((i for i, v in enumerate(values) if np.ndim(v) > 0), 0)
        raise InvalidInput(
            f"column {col.name!r} must be one value per row, got "
            f"{_shown(values[nested])} at row {nested}"
        )
    converter = {"float": _floats, "int": _ints, "bool": _bools, "str": _strings}[col.kind]
    return converter(col, array)


def _plainly_valid(col: ColumnSpec, values: list[Any]) -> np.ndarray | None:
    """``values`` typed when every one is plainly valid for the column (a finite number in
    range, a string, a bool), else None: the full path then types them or names the fault."""
    kind = col.kind
    if kind == "float":
        limit = _FLOAT_LIMIT[col.type]
        for v in values:  # NaN fails the comparison: gaps take the full path
            if not ((type(v) is float or type(v) is int) and -limit < v < limit):
                return None
    elif kind == "int":
        low, high = _INT_RANGE[col.type]
        for v in values:
            if type(v) is not int or not low <= v <= high:
                return None
    else:
        wanted = str if kind == "str" else bool
        for v in values:
            if type(v) is not wanted:
                return None
    return np.array(values, dtype=col.numpy_dtype)


def _array(values: Sequence[Any]) -> np.ndarray:
    """Numbers and booleans in one numpy step; anything else element by element (object)."""
    try:
        array = np.asarray(values)
    except ValueError:  # ragged nesting
        return np.asarray(values, dtype=object)
    if array.dtype.kind in "fiu" and bool in set(map(type, values)):
        return np.asarray(values, dtype=object)  # numpy would read True as 1: check each value
    return array if array.dtype.kind in "fiub" else np.asarray(values, dtype=object)


def _shown(value: Any) -> str:
    """A value as the caller sent it (True, not np.True_), cut to 40 characters."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    return repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."


def _bad(col: ColumnSpec, row: int, value: Any) -> InvalidInput:
    value = value.item() if isinstance(value, np.generic) else value
    shown = _shown(value)
    return InvalidInput(
        f"column {col.name!r} expects {col.type} ({col.datatype}), got "
        f"{type(value).__name__} {shown} at row {row}"
    )


def _refused_gap(col: ColumnSpec, row: int, what: str) -> InvalidInput:
    return InvalidInput(
        f"column {col.name!r} takes no missing values ({what} at row {row}): the model refuses them"
    )


def _floats(col: ColumnSpec, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "fiu":
        out = _cast(col, array)
    else:
        out = np.empty(len(array), dtype=_TYPES[col.type][1])
        for row, value in enumerate(array):
            if value is None:
                out[row] = np.nan
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                out[row] = _cast(col, np.asarray([value]), row)[0]
            else:
                raise _bad(col, row, value)
    return _finite(col, out, array)


def _cast(col: ColumnSpec, array: np.ndarray, first_row: int = 0) -> np.ndarray:
    """Numbers as the column's float type; one too large for it is refused, not made inf."""
    try:
        with np.errstate(over="ignore"):
            out = array.astype(_TYPES[col.type][1], copy=False)
    except OverflowError:  # a Python int beyond any float (JSON allows any integer)
        row = next(i for i, v in enumerate(array) if isinstance(v, int) and abs(v) > 2**1024)
        raise _overflow(col, array[row], first_row + row) from None
    overflowed = np.isinf(out) & np.isfinite(array.astype(np.float64))
    if overflowed.any():
        row = int(np.argmax(overflowed))
        value = array[row]  # a numpy scalar, or a Python int too large for numpy's integers
        raise _overflow(
            col, value.item() if isinstance(value, np.generic) else value, first_row + row
        )
    return out


def _finite(col: ColumnSpec, out: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """No infinity ever; NaN only where the model takes gaps."""
    bad = ~np.isfinite(out)
    if not bad.any():
        return out
    infinite = np.isinf(out)
    if infinite.any():
        row = int(np.argmax(infinite))
        raise InvalidInput(
            f"column {col.name!r} expects a finite number, got "
            f"{'-' if out[row] < 0 else ''}Infinity at row {row}"
        )
    if not col.gaps:
        row = int(np.argmax(bad))
        raise _refused_gap(col, row, "null" if raw[row] is None else "NaN")
    return out


def _ints(col: ColumnSpec, array: np.ndarray) -> np.ndarray:
    limits = np.iinfo(_TYPES[col.type][1])
    if array.dtype.kind in "iu":
        outside = (array < limits.min) | (array > limits.max)
        if outside.any():
            raise _overflow(col, array[int(np.argmax(outside))], int(np.argmax(outside)))
        return array.astype(_TYPES[col.type][1], copy=False)
    out = np.empty(len(array), dtype=_TYPES[col.type][1])
    for row, value in enumerate(array):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise InvalidInput(
                f"column {col.name!r} is an integer column: null or NaN at row {row} is not allowed"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise _bad(col, row, value)
        if isinstance(value, (float, np.floating)) and not (
            math.isfinite(value) and value == int(value)
        ):
            raise _bad(col, row, value)
        if not limits.min <= int(value) <= limits.max:
            raise _overflow(col, value, row)
        out[row] = int(value)
    return out


def _overflow(col: ColumnSpec, value: Any, row: int) -> InvalidInput:
    return InvalidInput(
        f"column {col.name!r} ({col.type}, {col.datatype}) cannot hold "
        f"{_shown(value)} at row {row}: it overflows the type"
    )


def _bools(col: ColumnSpec, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind == "b":
        return array
    for row, value in enumerate(array):
        if not isinstance(value, (bool, np.bool_)):
            raise _bad(col, row, value)
    return array.astype(bool)


def _strings(col: ColumnSpec, array: np.ndarray) -> np.ndarray:
    for row, value in enumerate(array):
        if value is None and not col.gaps:
            raise _refused_gap(col, row, "null")
        if value is not None and not isinstance(value, str):
            raise _bad(col, row, value)
    return array.astype(object, copy=False)
