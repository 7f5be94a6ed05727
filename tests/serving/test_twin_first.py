"""The quick start: the twin answers while the model loads; every answer is still the model's."""

import threading
import time
from concurrent.futures import Future

import numpy as np
import pytest

from mlmom_lab.registry import kinds
from mlmom_lab.serving import runtime as rt
from mlmom_lab.serving.outputs import OutputSpec
from mlmom_lab.serving.twin_first import OUTPUTS_TAG

from ..helpers import own_copy


def columns_of(frame):
    return {c: frame[c].tolist() for c in frame.columns}


def loaded(runtime, timeout=120):
    """``runtime`` once its model has loaded in the background."""
    began = time.monotonic()
    while isinstance(runtime.native, Future) and time.monotonic() - began < timeout:
        time.sleep(0.05)
    assert not isinstance(runtime.native, Future), "the model never loaded"
    return runtime


@pytest.fixture
def held_back(monkeypatch):
    """Model loads wait until the test lets them go."""
    release = threading.Event()
    real = kinds.load

    def slow(uri):
        assert release.wait(120)
        return real(uri)

    monkeypatch.setattr(kinds, "load", slow)
    yield release
    release.set()


def test_registration_stores_the_types_the_model_answers_in(example_run, champion):
    from mlmom_lab.registry.reading import reader_for

    project, _ = example_run
    tags = reader_for(project).version(project.spec.model, champion.version).tags
    assert OutputSpec.from_json(tags[OUTPUTS_TAG]) == champion.outputs


def test_the_twin_answers_before_the_model_has_loaded(example_run, champion, held_out, held_back):
    project, _ = example_run
    quick = rt.load(project, "champion", quick=True)
    assert isinstance(quick.native, Future) and not quick.native.done()  # still loading
    assert (quick.outputs, quick.onnx_below) == (champion.outputs, champion.onnx_below)
    assert quick.twin_gaps == champion.twin_gaps and quick.schema == champion.schema
    rows = quick.schema.validate(columns_of(held_out.head(50)))
    answer, expected = quick.predict(rows), champion.predict(rows)
    assert answer.engine == "onnx" and answer.values.tolist() == expected.values.tolist()
    assert answer.probabilities.dtype == expected.probabilities.dtype
    assert np.abs(answer.probabilities - expected.probabilities).max() < 1e-6
    assert answer.classes == expected.classes


def test_a_request_only_the_model_may_answer_waits_for_it(
    example_run, champion, held_out, held_back
):
    project, _ = example_run
    quick = rt.load(project, "champion", quick=True)
    row = held_out.head(1).copy()
    row["tenure_months"] = 2**25  # beyond what float32 holds exactly: never the twin's
    columns = quick.schema.validate(columns_of(row))
    answers = []
    asking = threading.Thread(target=lambda: answers.append(quick.predict(columns)))
    asking.start()
    asking.join(0.5)
    assert asking.is_alive() and not answers  # waiting for the model, not answered by the twin
    held_back.set()
    asking.join(120)
    expected = champion.predict(columns)
    assert answers[0].engine == "native" == expected.engine
    assert answers[0].values.tolist() == expected.values.tolist()
    assert loaded(quick).labels_by_argmax == champion.labels_by_argmax


def test_a_model_that_fails_to_load_fails_only_what_needs_it(
    example_run, champion, held_out, monkeypatch
):
    project, _ = example_run

    def broken(uri):
        raise OSError("the model file is gone")

    monkeypatch.setattr(kinds, "load", broken)
    quick = rt.load(project, "champion", quick=True)
    rows = quick.schema.validate(columns_of(held_out.head(3)))
    assert quick.predict(rows).engine == "onnx"
    row = held_out.head(1).copy()
    row["tenure_months"] = 2**25
    with pytest.raises(OSError, match="the model file is gone"):
        quick.predict(quick.schema.validate(columns_of(row)))


def test_a_version_without_stored_outputs_loads_the_usual_way(example_run, tmp_path):
    from mlmom_lab.mlflow_clients import client

    project = own_copy(example_run[0], tmp_path / "churn")
    version = rt.load(project, "champion").version
    client(project).delete_model_version_tag(project.spec.model, version, OUTPUTS_TAG)
    usual = rt.load(project, "champion", quick=True)
    assert not isinstance(usual.native, Future) and usual.outputs is not None
