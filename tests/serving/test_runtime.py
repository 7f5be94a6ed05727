"""Runtimes on the example's real champion: ONNX Runtime and native agree, both protocols work."""

import numpy as np
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.serving.protocols import parse_invocations, parse_v2, v2_response


@pytest.fixture(scope="module")
def rows(held_out):
    return held_out.head(300)


def columns_of(frame):
    return {c: frame[c].tolist() for c in frame.columns}


def test_schema_comes_from_the_signature(champion):
    types = {c.name: (c.type, c.datatype) for c in champion.schema.columns}
    assert types["tenure_months"] == ("long", "INT64")
    assert types["monthly_charges"] == ("double", "FP64")
    assert types["contract"] == ("string", "BYTES")
    optional = {c.name for c in champion.schema.columns if not c.required}
    assert optional == {"total_charges", "age"}  # the held-out rows have gaps there


def test_onnx_and_native_agree_on_real_rows(champion, rows):
    columns = champion.schema.validate(columns_of(rows))
    onnx, native = champion._predict_onnx(columns), champion._predict_native(columns)
    assert (onnx.engine, native.engine) == ("onnx", "native")
    assert (onnx.values == native.values).all()
    assert np.abs(onnx.probabilities - native.probabilities).max() < 1e-4
    assert native.classes == [0, 1]


def test_calibration_uses_onnx_for_single_rows(champion, rows):
    assert champion.onnx is not None and champion.onnx_below > 1
    one = champion.schema.validate(columns_of(rows.head(1)))
    assert champion.predict(one).engine == "onnx"
    assert champion.load_seconds > 0


def test_both_protocols_end_in_the_same_prediction(champion, rows):
    head = rows.head(3)
    body = {
        "id": "abc",
        "inputs": [
            {
                "name": c.name,
                "shape": [3],
                "datatype": c.datatype,
                "data": [
                    None if isinstance(v, float) and np.isnan(v) else v
                    for v in head[c.name].tolist()
                ],
            }
            for c in champion.schema.columns
        ],
    }
    request = parse_v2(body, champion.schema)
    by_v2 = champion.predict(champion.schema.validate(request.columns))
    records = head.astype(object).where(head.notna(), None).to_dict(orient="records")
    by_mlflow = champion.predict(
        champion.schema.validate(parse_invocations({"dataframe_records": records}, champion.schema))
    )
    assert by_v2.values.tolist() == by_mlflow.values.tolist()
    answer = v2_response(
        by_v2, model=champion.name, version=champion.version, request_id=request.id
    )
    assert answer["id"] == "abc" and answer["model_version"] == champion.version
    with pytest.raises(InvalidInput, match="missing column 'contract'"):
        champion.schema.validate({k: v for k, v in request.columns.items() if k != "contract"})


def test_native_serving_never_loads_the_twin_and_answers_alike(
    example_run, champion, rows, monkeypatch
):
    """``mlmom serve --native`` (MLMOM_SERVE_NATIVE=1 in the workers): the model itself, with
    the forest's labels read off its probabilities in one pass, as its own predict gives."""
    from mlmom_lab.serving import runtime as rt
    from mlmom_lab.serving.settings import ServingSettings

    monkeypatch.setenv("MLMOM_SERVE_NATIVE", "1")
    assert ServingSettings.from_environ().native is True
    native = rt.load(example_run[0], "champion", twin=False)
    assert native.onnx is None and native.labels_by_argmax
    columns = native.schema.validate(columns_of(rows))
    answer = native.predict(columns)
    frame = rows[list(native.schema.names)]
    assert answer.engine == "native"
    assert answer.values.tolist() == native.native.predict(frame).tolist()
    assert answer.values.dtype == champion.outputs.values
