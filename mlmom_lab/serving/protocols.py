"""The two wire protocols, parsed into batches and built from predictions.

- Open Inference Protocol v2 (KServe, Triton, MLServer): one input per column
  (``content_type: pd``) or one 2-D tensor with the columns in signature order; ``id`` echoed.
- MLflow's scoring protocol (``/invocations``): exactly one of ``dataframe_split``,
  ``dataframe_records``, ``instances`` or ``inputs``; the answer is ``{"predictions": [...]}``.

Both end in the same batch (column name -> values) that :class:`InputSchema` validates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from .schema import V2_NUMERIC, InputSchema, v2_datatype

if TYPE_CHECKING:
    import numpy as np

    from .outputs import Prediction

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@dataclass
class V2Request:
    """A parsed ``/infer`` body."""

    columns: dict[str, list[Any]]
    id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] | None = None  # names the client asked for; None = all


def parse_v2(body: Any, schema: InputSchema) -> V2Request:
    """An Open Inference v2 infer request as a batch of columns."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object with 'inputs'")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput("'inputs' must be a non-empty list of tensors")
    tensors = [_tensor(t, i) for i, t in enumerate(inputs)]
    if len(tensors) == 1 and len(tensors[0][1]) == 2 and tensors[0][0] not in schema.names:
        columns = _from_matrix(*tensors[0], schema)
    else:
        columns = {}
        for name, shape, datatype, data in tensors:
            _check_column_tensor(name, shape, datatype, schema)
            if name in columns:
                raise InvalidInput(f"input {name!r} is given twice")
            columns[name] = data
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidInput("'id' must be a string")
    return V2Request(columns, request_id, _parameters(body), _requested_outputs(body))


def _tensor(tensor: Any, index: int) -> tuple[str, list[int], str, list[Any]]:
    if not isinstance(tensor, dict):
        raise InvalidInput(f"inputs[{index}] must be an object with name, shape, datatype, data")
    name, shape = tensor.get("name"), tensor.get("shape")
    datatype, data = tensor.get("datatype"), tensor.get("data")
    where = f"input {name!r}" if isinstance(name, str) else f"inputs[{index}]"
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{where}: 'name' must be a non-empty string")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise InvalidInput(f"{where}: 'shape' must be a list of non-negative integers")
    if not isinstance(datatype, str) or datatype not in V2_NUMERIC | {"BOOL", "BYTES"}:
        raise InvalidInput(f"{where}: unsupported datatype {datatype!r}")
    if not isinstance(data, list):
        raise InvalidInput(f"{where}: 'data' must be a list")
    flat = _flatten(data, len(shape), where)
    if len(flat) != math.prod(shape):
        raise InvalidInput(
            f"{where}: shape {shape} needs {math.prod(shape)} values, 'data' has {len(flat)}"
        )
    _check_datatype(where, datatype, flat, math.prod(shape[1:]))
    return name, shape, datatype, flat


def _flatten(data: list[Any], depth: int, where: str, row: int | None = None) -> list[Any]:
    """Row-major flattening of nested lists (v2 allows both flat and nested data), nested
    at most as deep as the tensor's shape has dimensions; ``row``: the top-level index."""
    if not any(isinstance(v, list) for v in data):
        return data
    flat: list[Any] = []
    for index, value in enumerate(data):
        if not isinstance(value, list):
            flat.append(value)
            continue
        at = index if row is None else row
        if depth <= 1:
            raise InvalidInput(f"{where}: 'data' is nested deeper than its shape at row {at}")
        flat.extend(_flatten(value, depth - 1, where, at))
    return flat


def _check_datatype(where: str, datatype: str, values: list[Any], width: int) -> None:
    """The values are what the declared datatype says they are; a bad one is named by its
    row (and, in a tensor of many columns, its place in the row)."""
    ok: Callable[[Any], bool]
    if datatype == "BYTES":
        ok = lambda v: v is None or isinstance(v, str)
    elif datatype == "BOOL":
        ok = lambda v: isinstance(v, bool)
    elif datatype.startswith(("INT", "UINT")):
        ok = lambda v: isinstance(v, int) and not isinstance(v, bool)
    else:
        ok = lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
    bad = next((i for i, v in enumerate(values) if not ok(v)), None)
    if bad is not None:
        row, place = divmod(bad, max(width, 1))
        raise InvalidInput(
            f"{where}: datatype {datatype} but value {values[bad]!r} at row "
            f"{row}" + (f", column {place}" if width > 1 else "")
        )


def _check_column_tensor(name: str, shape: list[int], datatype: str, schema: InputSchema) -> None:
    col = next((c for c in schema.columns if c.name == name), None)
    if col is None:
        raise InvalidInput(f"unknown input {name!r} (expected: {', '.join(schema.names)})")
    if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
        raise InvalidInput(f"input {name!r}: a column must have shape [n] or [n, 1], got {shape}")
    if not _compatible(col.kind, datatype):
        raise InvalidInput(
            f"input {name!r}: datatype {datatype} does not fit the column's "
            f"type {col.type} ({col.datatype})"
        )


def _compatible(kind: str, datatype: str) -> bool:
    if kind == "str":
        return datatype == "BYTES"
    if kind == "bool":
        return datatype == "BOOL"
    if kind == "int":
        return datatype.startswith(("INT", "UINT"))
    return datatype in V2_NUMERIC


def _from_matrix(
    name: str, shape: list[int], datatype: str, data: list[Any], schema: InputSchema
) -> dict[str, list[Any]]:
    width = shape[1]  # the rows: what the data holds, checked by the caller
    if width != len(schema.columns):
        raise InvalidInput(
            f"input {name!r}: a 2-D tensor needs {len(schema.columns)} columns "
            f"({', '.join(schema.names)}), got shape {shape}"
        )
    for col in schema.columns:
        if not _compatible(col.kind, datatype) and not (datatype == "BYTES" and col.kind == "str"):
            raise InvalidInput(
                f"input {name!r}: datatype {datatype} does not fit column "
                f"{col.name!r} ({col.type}); send one input per column"
            )
    return {col.name: data[i::width] for i, col in enumerate(schema.columns)}


def _parameters(body: dict[str, Any]) -> dict[str, Any]:
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise InvalidInput("'parameters' must be an object")
    return params


def _requested_outputs(body: dict[str, Any]) -> list[str] | None:
    outputs = body.get("outputs")
    if outputs is None:
        return None
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in outputs
    ):
        raise InvalidInput("'outputs' must be a list of objects with a 'name'")
    return [o["name"] for o in outputs]


def parse_invocations(body: Any, schema: InputSchema) -> dict[str, list[Any]]:
    """An MLflow scoring request (``/invocations``) as a batch of columns."""
    if not isinstance(body, dict):
        raise InvalidInput(f"the body must be a JSON object with one of {', '.join(MLFLOW_KEYS)}")
    given = [k for k in MLFLOW_KEYS if k in body]
    unknown = [k for k in body if k not in (*MLFLOW_KEYS, "params")]
    if unknown:
        raise InvalidInput(
            f"unknown key {unknown[0]!r} (expected one of {', '.join(MLFLOW_KEYS)}"
            " and optionally 'params')"
        )
    if len(given) != 1:
        raise InvalidInput(
            f"give exactly one of {', '.join(MLFLOW_KEYS)}, not "
            f"{len(given)}" + (f" ({', '.join(given)})" if given else "")
        )
    key = given[0]
    value = body[key]
    if key == "dataframe_split":
        return _split(value, schema)
    if isinstance(value, dict):  # inputs / instances as columns
        return {k: (v if isinstance(v, list) else [v]) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return _records(value)
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        return _rows(value, schema.names, key)
    raise InvalidInput(f"{key!r} must be a list of records, a list of rows or an object of columns")


def _split(value: Any, schema: InputSchema) -> dict[str, list[Any]]:
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise InvalidInput("'dataframe_split' must be an object with 'columns' and 'data'")
    names = value.get("columns", schema.names)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("'dataframe_split.columns' must be a list of column names")
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise InvalidInput(f"'dataframe_split.columns' names column {twice!r} twice")
    return _rows(value["data"], names, "dataframe_split.data")


def _rows(rows: list[Any], names: list[str], where: str) -> dict[str, list[Any]]:
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise InvalidInput(
                f"{where}[{i}] must be a list of {len(names)} values ({', '.join(names)})"
            )
    return {name: [row[j] for row in rows] for j, name in enumerate(names)}


def _records(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names = list(dict.fromkeys(k for r in records for k in r))
    for i, record in enumerate(records):
        missing = [n for n in names if n not in record]
        if missing:
            raise InvalidInput(f"record {i} has no {missing[0]!r}, which other records have")
    return {name: [r[name] for r in records] for name in names}


def _v2_tensor(name: str, array: np.ndarray, shape: list[int]) -> dict[str, Any]:
    datatype = v2_datatype(array.dtype)
    data = (
        array.reshape(-1).tolist() if datatype != "BYTES" else [str(v) for v in array.reshape(-1)]
    )
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


def v2_response(
    prediction: Prediction,
    *,
    model: str,
    version: str,
    request_id: str | None,
    outputs: list[str] | None = None,
) -> dict[str, Any]:
    """The v2 answer: ``predict`` (labels or values) and, for classifiers, ``predict_proba``."""
    n = len(prediction.values)
    tensors = [_v2_tensor("predict", prediction.values, [n])]
    if prediction.probabilities is not None:
        probabilities = prediction.probabilities
        tensors.append(
            {
                **_v2_tensor("predict_proba", probabilities, list(probabilities.shape)),
                "parameters": {"classes": [str(c) for c in prediction.classes or []]},
            }
        )
    if outputs is not None:
        known = {t["name"] for t in tensors}
        unknown = [o for o in outputs if o not in known]
        if unknown:
            raise InvalidInput(
                f"unknown output {unknown[0]!r} (outputs: {', '.join(sorted(known))})"
            )
        tensors = [t for t in tensors if t["name"] in outputs]
    body: dict[str, Any] = {"model_name": model, "model_version": version, "outputs": tensors}
    if request_id is not None:
        body["id"] = request_id
    return body


def invocations_response(prediction: Prediction) -> dict[str, Any]:
    """MLflow's answer: the predictions (labels for a classifier), one per row."""
    return {"predictions": prediction.values.tolist()}
