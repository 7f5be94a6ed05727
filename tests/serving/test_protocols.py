"""Parsing both protocols into validated batches, and every bad-input case, without a server."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmom_lab.errors import InvalidInput
from mlmom_lab.serving import schema
from mlmom_lab.serving.outputs import Prediction
from mlmom_lab.serving.protocols import (
    invocations_response,
    parse_invocations,
    parse_v2,
    v2_response,
)
from mlmom_lab.serving.schema import ColumnSpec, InputSchema

SCHEMA = InputSchema(
    (
        ColumnSpec("tenure", "long"),
        ColumnSpec("charges", "double"),
        ColumnSpec("plan", "string"),
        ColumnSpec("age", "double", required=False),
    )
)


def v2(*inputs, **extra):
    return {
        "inputs": [dict(zip(("name", "shape", "datatype", "data"), i)) for i in inputs],
        **extra,
    }


def test_v2_one_input_per_column_with_id_and_types():
    body = v2(
        ("tenure", [2], "INT64", [3, 40]),
        ("charges", [2, 1], "FP64", [[20.5], [99.0]]),
        ("plan", [2], "BYTES", ["basic", "pro"]),
        id="req-1",
        parameters={"content_type": "pd"},
    )
    request = parse_v2(body, SCHEMA)
    assert request.id == "req-1" and request.parameters == {"content_type": "pd"}
    columns = SCHEMA.validate(request.columns)
    assert columns["tenure"].dtype == np.int64 and columns["tenure"].tolist() == [3, 40]
    assert columns["charges"].tolist() == [20.5, 99.0]
    assert columns["plan"].tolist() == ["basic", "pro"]
    assert all(math.isnan(v) for v in columns["age"])  # optional column left out


def test_v2_one_2d_tensor_in_signature_order():
    numeric = InputSchema((ColumnSpec("a", "double"), ColumnSpec("b", "double")))
    request = parse_v2(v2(("input-0", [2, 2], "FP32", [1.0, 2.0, 3.0, 4.0])), numeric)
    assert request.columns == {"a": [1.0, 3.0], "b": [2.0, 4.0]}


@pytest.mark.parametrize(
    "body, message",
    [
        ([1, 2], "must be a JSON object"),
        ({"inputs": []}, "'inputs' must be a non-empty list"),
        (v2(("tenure", [2], "INT64", [1])), "shape [2] needs 2 values, 'data' has 1"),
        (v2(("tenure", [1], "INT64", [1.5])), "datatype INT64 but value 1.5"),
        (v2(("tenure", [1], "FP99", [1])), "unsupported datatype 'FP99'"),
        (v2(("plan", [1], "FP64", [1.0])), "datatype FP64 does not fit the column's type string"),
        (
            v2(("charges", [1], "BYTES", ["x"])),
            "datatype BYTES does not fit the column's type double",
        ),
        (v2(("colour", [1], "BYTES", ["red"])), "unknown input 'colour'"),
        (v2(("tenure", [1, 2], "INT64", [1, 2])), "must have shape [n] or [n, 1]"),
        (v2(("tenure", [1], "INT64", [1]), ("tenure", [1], "INT64", [1])), "given twice"),
        (v2(("tenure", [1], "INT64", [1]), id=7), "'id' must be a string"),
        (v2(("x", [1, 3], "FP64", [1.0, 2.0, 3.0])), "a 2-D tensor needs 4 columns"),
    ],
)
def test_v2_bad_requests_name_the_problem(body, message):
    with pytest.raises(
        InvalidInput,
        match=message.replace("[", r"\[")
        .replace("]", r"\]")
        .replace("(", r"\(")
        .replace(")", r"\)"),
    ):
        parse_v2(body, SCHEMA)


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"tenure": [1], "charges": [2.0]}, "missing column 'plan'"),
        ({"tenure": [1], "charges": [2.0], "plan": ["a"], "x": [1]}, "unknown column 'x'"),
        (
            {"tenure": [None], "charges": [2.0], "plan": ["a"]},
            "integer column: null or NaN at row 0",
        ),
        (
            {"tenure": [1, 2], "charges": [2.0, "lots"], "plan": ["a", "b"]},
            "column 'charges' expects double (FP64), got str 'lots' at row 1",
        ),
        ({"tenure": [1], "charges": [2.0], "plan": [3]}, "column 'plan' expects string"),
        ({"tenure": [1, 2], "charges": [2.0], "plan": ["a"]}, "different lengths"),
        ({"tenure": [], "charges": [], "plan": []}, "empty batch"),
    ],
)
def test_signature_validation(columns, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        SCHEMA.validate(columns)


def test_nan_is_fine_in_a_float_column():
    columns = SCHEMA.validate({"tenure": [1], "charges": [None], "plan": ["a"]})
    assert math.isnan(columns["charges"][0])


@pytest.mark.parametrize(
    "body",
    [
        {
            "dataframe_split": {
                "columns": ["tenure", "charges", "plan"],
                "data": [[1, 2.0, "a"], [2, 3.0, "b"]],
            }
        },
        {
            "dataframe_records": [
                {"tenure": 1, "charges": 2.0, "plan": "a"},
                {"tenure": 2, "charges": 3.0, "plan": "b"},
            ]
        },
        {
            "instances": [
                {"tenure": 1, "charges": 2.0, "plan": "a"},
                {"tenure": 2, "charges": 3.0, "plan": "b"},
            ]
        },
        {"inputs": {"tenure": [1, 2], "charges": [2.0, 3.0], "plan": ["a", "b"]}},
        {"instances": [[1, 2.0, "a", None], [2, 3.0, "b", None]], "params": {"x": 1}},
    ],
)
def test_invocations_payloads_all_give_the_same_batch(body):
    columns = SCHEMA.validate(parse_invocations(body, SCHEMA))
    assert columns["tenure"].tolist() == [1, 2] and columns["plan"].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "give exactly one of dataframe_split, dataframe_records, instances, inputs, not 0"),
        ({"instances": [], "inputs": []}, "not 2 (instances, inputs)"),
        ({"rows": []}, "unknown key 'rows'"),
        ({"dataframe_split": {"columns": ["a"]}}, "must be an object with 'columns' and 'data'"),
        (
            {"dataframe_split": {"columns": ["tenure"], "data": [[1, 2]]}},
            r"dataframe_split.data\[0\] must be a list of 1 values",
        ),
        ({"dataframe_records": [{"tenure": 1}, {"plan": "a"}]}, "record 0 has no 'plan'"),
        ({"instances": "abc"}, "must be a list of records, a list of rows or an object of columns"),
    ],
)
def test_invocations_bad_requests(body, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_invocations(body, SCHEMA)


def test_responses():
    prediction = Prediction(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]), [0, 1])
    body = v2_response(prediction, model="m", version="3", request_id="r")
    assert body["model_name"] == "m" and body["model_version"] == "3" and body["id"] == "r"
    assert body["outputs"][0] == {
        "name": "predict",
        "shape": [2],
        "datatype": "INT64",
        "data": [0, 1],
    }
    assert body["outputs"][1]["shape"] == [2, 2] and body["outputs"][1]["data"] == [
        0.9,
        0.1,
        0.2,
        0.8,
    ]
    only = v2_response(prediction, model="m", version="3", request_id=None, outputs=["predict"])
    assert [t["name"] for t in only["outputs"]] == ["predict"] and "id" not in only
    with pytest.raises(InvalidInput, match="unknown output 'scores'"):
        v2_response(prediction, model="m", version="3", request_id=None, outputs=["scores"])
    assert invocations_response(prediction) == {"predictions": [0, 1]}


ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
EVERY_TYPE = [
    ColumnSpec(f"c_{t}", t, gaps=gaps)
    for t in ("double", "float", "long", "integer", "boolean", "string")
    for gaps in (True, False)
]


NEAR_VALID = {
    "float": st.one_of(
        st.integers(-(2**70), 2**70),
        st.floats(width=64),
        st.sampled_from(
            [3.4028235e38, 3.4028236e38, -3.4028235e38, 1.7976931348623157e308, 2**128, -(2**1100)]
        ),
    ),
    "int": st.one_of(
        st.integers(-(2**64), 2**64), st.sampled_from([2**31, -(2**31) - 1, 2**1100, 2**63, 2.0])
    ),
    "bool": st.booleans(),
    "str": st.text(max_size=3),
}


@settings(max_examples=500, deadline=None)
@given(data=st.data(), column=st.sampled_from(EVERY_TYPE))
def test_a_few_plain_values_are_typed_as_the_full_path_types_them(data, column):
    """Small batches of plainly valid values take a quicker path: same array, same dtype; any
    other value goes the full way, which types it or names what is wrong."""
    cell = st.one_of(NEAR_VALID[column.kind], NEAR_VALID[column.kind], ANY_CELL)
    values = data.draw(st.lists(cell, min_size=1, max_size=20))
    quick = schema._plainly_valid(column, values)
    try:
        full = full_path(column, values)
    except InvalidInput:
        assert quick is None
        return
    if quick is not None:
        assert quick.dtype == full.dtype
        np.testing.assert_array_equal(quick, full)
    typed = schema._typed(column, values, len(values))  # whichever path it takes
    assert typed.dtype == full.dtype
    np.testing.assert_array_equal(typed, full)


def full_path(column, values):
    small, schema.SMALL = schema.SMALL, 0
    try:
        return schema._typed(column, values, len(values))
    finally:
        schema.SMALL = small
