"""MLflow infers a logged model's pip requirements by loading it in a new process: once per
model code and environment here, then its own answer is passed back, and the version's
environment files are the same as if it had inferred them again."""

from pathlib import Path

import mlflow
import mlflow.utils.requirements_utils as inference
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from mlmom_lab import registration, user_cache
from mlmom_lab.registry import requirements

from .test_registry import classifier, project  # noqa: F401 - the fixture, and a real model

ENVIRONMENT_FILES = ("requirements.txt", "conda.yaml", "python_env.yaml")


@pytest.fixture
def inferred(tmp_path, monkeypatch):
    """Each time MLflow runs its inference (the subprocess that loads the model)."""
    monkeypatch.setenv(user_cache.CACHE_ENV, str(tmp_path / "cache"))
    calls = []
    real = inference._capture_imported_modules

    def counted(*args, **kwargs):
        calls.append(args[1])  # the flavor
        return real(*args, **kwargs)

    monkeypatch.setattr(inference, "_capture_imported_modules", counted)
    return calls


def environment_files(source: str) -> dict[str, str]:
    folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=source))
    return {name: (folder / name).read_text() for name in ENVIRONMENT_FILES}


def test_the_same_code_is_inferred_once_and_its_files_are_the_same(project, inferred):  # noqa: F811
    model, X = classifier()
    first = registration.register_model(model, X.head(5), project=project)
    assert inferred == ["sklearn"]
    assert "scikit-learn==" in environment_files(first.source)["requirements.txt"]

    other, _ = classifier(RandomForestClassifier(n_estimators=4, max_depth=3, random_state=1))
    second = registration.register_model(other, X.head(5), project=project)
    assert inferred == ["sklearn"]  # other weights, the same code: MLflow's answer reused
    assert environment_files(second.source) == environment_files(first.source)

    linear, _ = classifier(LogisticRegression())
    registration.register_model(linear, X.head(5), project=project)
    assert inferred == ["sklearn", "sklearn"]  # other code: MLflow is asked again


class Defined(BaseEstimator):
    """A class whose code would be pickled by value, as one defined in a notebook is."""


Defined.__module__ = "__main__"
EXAMPLE = pd.DataFrame({"amount": [1.0], "plan": ["basic"]})


def test_what_the_answer_depends_on_is_in_the_key(tmp_path, monkeypatch):
    plain = requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE)
    assert plain == requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE)
    assert plain != requirements.key_of(LogisticRegression(), "sklearn-cloudpickle", EXAMPLE)
    assert plain != requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE[["amount"]])
    # a setting held as a string changes what predicting imports (polars, here)
    scaled = requirements.key_of(StandardScaler(), "sklearn-skops", EXAMPLE)
    polars = StandardScaler().set_output(transform="polars")
    assert scaled != requirements.key_of(polars, "sklearn-skops", EXAMPLE)
    assert requirements.key_of(Defined(), "sklearn-cloudpickle", EXAMPLE) is None
    monkeypatch.chdir(tmp_path)  # a uv project: MLflow answers with `uv export`
    (tmp_path / "uv.lock").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    assert requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE) is None


def test_the_key_holds_local_code_but_not_which_installed_modules_are_imported_yet(
    tmp_path, monkeypatch
):
    """mlmom-lab imports its own modules lazily, and an editable install's files lie outside
    the environment: importing one more of them must not change the key. A project's own
    module changes the key of a model whose objects come from local code (loading it imports
    that code, and what it imports), and only of such a model."""
    import importlib.util
    import sys
    import types

    from sklearn.preprocessing import FunctionTransformer

    def imported(name: str, text: str) -> None:
        path = tmp_path / f"{name.replace('.', '_')}.py"
        path.write_text(text)
        module = types.ModuleType(name)
        module.__file__ = str(path)
        monkeypatch.setitem(sys.modules, name, module)

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "project_transforms.py").write_text("def double(x):\n    return x * 2\n")
    spec = importlib.util.spec_from_file_location(
        "project_transforms", tmp_path / "project_transforms.py"
    )
    transforms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(transforms)
    monkeypatch.setitem(sys.modules, "project_transforms", transforms)  # gone after the test
    local_model = FunctionTransformer(transforms.double)

    def keys() -> tuple[str | None, str | None]:
        return (
            requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE),
            requirements.key_of(local_model, "sklearn-skops", EXAMPLE),
        )

    plain, local = keys()
    imported("mlmom_lab._imported_later", "x = 1\n")  # mlmom-lab's (an installed package)
    assert keys() == (plain, local)
    imported("project_features", "x = 1\n")  # a project's own module, imported here
    assert keys()[0] == plain  # a model of installed code alone does not import it
    changed = keys()[1]
    assert changed != local  # one from local code may (its module may import this one)
    (tmp_path / "project_features.py").write_text("x = 2\n")  # its code edited
    assert keys() == (plain, keys()[1]) and keys()[1] != changed
    (tmp_path / "project_transforms.py").write_text("def double(x):\n    return x + x\n")
    assert keys()[0] == plain and keys()[1] not in (local, changed)


def test_an_inference_that_fell_back_is_not_remembered(project, inferred, monkeypatch):  # noqa: F811
    def fails(*args, **kwargs):
        inferred.append(args[1])
        raise RuntimeError("the model could not be loaded in the new process")

    monkeypatch.setattr(inference, "_capture_imported_modules", fails)
    model, X = classifier()
    registration.register_model(model, X.head(5), project=project)  # MLflow's defaults
    registration.register_model(model, X.head(5), project=project)
    assert inferred == ["sklearn", "sklearn"]  # asked again: the fallback was not its answer


def test_a_broken_cache_entry_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv(user_cache.CACHE_ENV, str(tmp_path))
    key = requirements.key_of(LogisticRegression(), "sklearn-skops", EXAMPLE)
    path = tmp_path / "requirements" / f"{key}.json"
    path.parent.mkdir(parents=True)
    for text in ("{not json", '{"a": 1}', "[1, 2]"):
        path.write_text(text)
        assert requirements.remembered(key) is None
    path.write_text('["mlflow==1.0", "numpy==2.0"]')
    assert requirements.remembered(key) == ["mlflow==1.0", "numpy==2.0"]
