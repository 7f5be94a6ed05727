"""A scikit-learn model's skops file trusts the types skops does not know: skops names them by
writing the whole model, once per model code and environment; later models with the same code
reuse the answer, and a remembered answer that no longer holds is asked again."""

import json

import mlflow.sklearn
import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from mlmom_lab import registration, user_cache
from mlmom_lab.registry import requirements, skops_types

from .test_registry import classifier, project  # noqa: F401 - the fixture, and a real model

SKOPS_ANSWER = sio.dumps  # the tests' own calls, not counted


def untrusted_types(model):
    return skops_types.untrusted_types(model, requirements.reached_by_pickling(model))


def skops_answer(model):
    return sio.get_untrusted_types(data=SKOPS_ANSWER(model))


@pytest.fixture
def written(tmp_path, monkeypatch):
    """Each model skops writes into memory to name its types (MLflow writes to a file)."""
    monkeypatch.setenv(user_cache.CACHE_ENV, str(tmp_path / "cache"))
    calls = []

    def counted(obj, *args, **kwargs):
        calls.append(type(obj).__name__)
        return SKOPS_ANSWER(obj, *args, **kwargs)

    monkeypatch.setattr(sio, "dumps", counted)
    return calls


def test_skops_is_asked_once_per_code_and_environment(written):
    model, _ = classifier()
    first = untrusted_types(model)
    assert first == skops_answer(model) and first
    assert written == ["Pipeline"]
    other, _ = classifier(RandomForestClassifier(n_estimators=4, max_depth=3, random_state=1))
    assert untrusted_types(other) == first
    assert written == ["Pipeline"]  # other weights, the same code: remembered
    linear, _ = classifier(LogisticRegression())
    assert untrusted_types(linear) == skops_answer(linear)
    assert written == ["Pipeline", "Pipeline"]  # other code: skops asked again


def test_a_remembered_answer_that_no_longer_holds_is_asked_again(project, written, tmp_path):  # noqa: F811
    model, X = classifier()
    registration.register_model(model, X.head(5), project=project)
    (entry,) = (tmp_path / "cache" / "skops-types").glob("*.json")
    right = json.loads(entry.read_text())
    assert right, "a forest in a pipeline holds types skops does not trust by default"
    entry.write_text("[]")  # a list that trusts nothing
    other, _ = classifier(RandomForestClassifier(n_estimators=4, max_depth=3, random_state=1))
    version = registration.register_model(other, X.head(5), project=project)
    loaded = mlflow.sklearn.load_model(version.source)
    assert (loaded.predict(X) == other.predict(X)).all()
    assert json.loads(entry.read_text()) == right  # skops's answer again, remembered


def test_a_broken_cache_entry_is_ignored(written, tmp_path):
    model, _ = classifier(LogisticRegression())
    answer = untrusted_types(model)
    (entry,) = (tmp_path / "cache" / "skops-types").glob("*.json")
    for text in ("{not json", '{"a": 1}', "[1, 2]"):
        entry.write_text(text)
        assert untrusted_types(model) == answer
    assert len(written) == 4
