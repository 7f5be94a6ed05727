"""The pip requirements MLflow infers for a logged model, remembered per environment.

MLflow infers them by loading the saved model in a new Python process, predicting on the
input example, and mapping the modules it imported to packages: seconds, most of what logging
a model costs. What it imports follows from the installed packages, the flavor (and its
serialization), the code the model's objects come from, the settings they hold (a
``set_output(transform="polars")`` imports polars) and the example's columns. Those make the
key: each key asks MLflow once, and later models with the same key pass MLflow's own answer
back as ``pip_requirements``, so the files it writes (requirements.txt, conda.yaml,
python_env.yaml) are the same as if it had inferred them again.

MLflow is asked every time when its answer comes from elsewhere (a uv project's lock in the
working folder, locked dependencies, a Databricks workspace), for code pickled by value (a
class defined in the notebook) and for a pyfunc ``PythonModel``, which may import anything as
it loads. An inference that warned (it failed and fell back, or its prediction failed) is not
remembered.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pickle
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_json
from ..pipeline.hashing import environment_fingerprint, sha256_file, sha256_json
from ..user_cache import cache_dir

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("mlmom.registry")


def key_of(
    model: Any, flavor: str, example: pd.DataFrame, reached: Reached | None = None
) -> str | None:
    """What MLflow's answer for ``model`` logged as ``flavor`` with ``example`` depends on,
    hashed; None where MLflow must be asked (it then infers, as it always would).
    ``reached``: :func:`reached_by_pickling` of the model, when the caller has it."""
    if _answered_elsewhere():
        return None
    reached = reached or reached_by_pickling(model)
    if reached is None or "__main__" in reached.modules:  # code pickled by value
        return None
    return sha256_json({
        "environment": environment_fingerprint()["hash"],
        "flavor": flavor,
        "modules": sorted(reached.modules),
        "strings": sha256_json(sorted(reached.strings)),
        "example": {str(c): str(t) for c, t in example.dtypes.items()},
        "local": _local_code(reached.modules),
    })  # fmt: skip


def remembered(key: str | None) -> list[str] | None:
    """MLflow's answer for ``key``, when it was asked before in this environment."""
    return None if key is None else read_strings(_path(key))


def read_strings(path: Path) -> list[str] | None:
    """The list of strings kept at ``path``; None when there is none (or something else)."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    good = isinstance(value, list) and all(isinstance(line, str) for line in value)
    return value if good else None


def keep_strings(path: Path, values: list[str]) -> None:
    """Keep ``values`` at ``path`` for :func:`read_strings`; a cache, so a read-only home
    keeps nothing (every answer is asked again, as without a cache)."""
    try:
        write_json(path, values)
    except OSError as exc:
        logger.debug("%s not kept: %s", path, exc)


@contextmanager
def inference_warnings() -> Iterator[list[logging.LogRecord]]:
    """The warnings MLflow's utilities log meanwhile: an inference that failed and fell back
    to the flavor's defaults, or whose prediction on the example failed, says so only there."""
    caught: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(record)

    handler, watched = Catch(logging.WARNING), logging.getLogger("mlflow.utils")
    watched.addHandler(handler)
    try:
        yield caught
    finally:
        watched.removeHandler(handler)


def remember(key: str | None, model_uri: str) -> None:
    """Keep the requirements MLflow just inferred for the model at ``model_uri``. Nothing is
    kept when they refer to other files (constraints, indexes): those belong to that model."""
    if key is None:
        return
    import tempfile

    import mlflow

    try:  # the one file, not the whole model (which may lie in a remote store)
        location = mlflow.get_logged_model(model_uri.removeprefix("models:/")).artifact_location
        with tempfile.TemporaryDirectory() as tmp:
            uri = f"{location.rstrip('/')}/requirements.txt"
            text = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp)).read_text()
    except Exception as exc:  # noqa: BLE001 - a cache: the model is logged either way
        logger.debug("requirements of %s not remembered: %s", model_uri, exc)
        return
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not any(line.startswith(("-", "#")) for line in lines):
        keep_strings(_path(key), lines)


def _path(key: str) -> Path:
    return cache_dir() / "requirements" / f"{key}.json"


def _answered_elsewhere() -> bool:
    """MLflow's answer comes from outside the model: a uv project in the working folder (uv
    export), locked dependencies, or a Databricks workspace (other serialization)."""
    import mlflow
    from mlflow.environment_variables import MLFLOW_LOCK_MODEL_DEPENDENCIES, MLFLOW_UV_AUTO_DETECT

    uv_project = all(Path(name).exists() for name in ("uv.lock", "pyproject.toml"))
    return (
        bool(MLFLOW_LOCK_MODEL_DEPENDENCIES.get())
        or (bool(MLFLOW_UV_AUTO_DETECT.get()) and uv_project)
        or mlflow.get_tracking_uri().startswith("databricks")
    )


class Reached:
    """The modules of every object, class and function pickling a model reaches, their
    qualified names (``named``: the classes and functions, and the class of every other
    object), and every string it holds (settings such as an output container name)."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.named: set[str] = set()
        self.strings: set[str] = set()

    def add(self, obj: Any) -> None:
        if isinstance(obj, str):
            self.strings.add(obj)
        elif isinstance(obj, types.ModuleType):
            self.modules.add(obj.__name__)
        elif isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            self._name(obj)
        else:
            self._name(type(obj))

    def _name(self, obj: Any) -> None:
        module = str(getattr(obj, "__module__", "") or "")
        self.modules.add(module)
        self.named.add(f"{module}.{getattr(obj, '__qualname__', '')}")


def reached_by_pickling(model: Any) -> Reached | None:
    """What pickling ``model`` reaches; None when it cannot be pickled (MLflow then infers)."""
    import cloudpickle

    reached = Reached()

    class Recorder(cloudpickle.Pickler):  # type: ignore[misc]  # cloudpickle is untyped
        def persistent_id(self, obj: Any) -> None:
            reached.add(obj)  # None: every object is pickled as usual

    try:
        Recorder(_Discard(), protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    except Exception:  # noqa: BLE001 - a model pickling cannot reach: let MLflow infer
        return None
    reached.modules.discard("")
    return reached


def _local_code(reached: set[str]) -> dict[str, str]:
    """The hash of every imported module's source that no installed package holds (a
    project's ``churn_data.py`` and what it imports) when the model's objects come from one
    of them: loading the model imports it, and what it imports in turn. A model that reaches
    no local module imports none as it loads (unpickling imports only the modules it names),
    so then the local code this process happens to have imported (a notebook's helpers, a
    test suite's modules) does not change the key. An installed package's modules count only
    where the model's objects come from them: an editable install's files lie outside the
    environment, and which of its modules happen to be imported yet (mlmom-lab's own,
    lazily) must not change the key."""
    installed = tuple(os.path.realpath(p) + os.sep for p in {sys.prefix, sys.base_prefix})
    owned, reached_tops = _distribution_packages(), {m.partition(".")[0] for m in reached}
    outside = {}  # local modules of any kind (a compiled one too): name -> file
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or _real_path(file).startswith(installed):
            continue
        top = name.partition(".")[0]
        if top not in owned or top in reached_tops:
            outside[name] = file
    if not reached & outside.keys():
        return {}
    return {name: _source_hash(file) for name, file in outside.items() if file.endswith(".py")}


def _source_hash(file: str) -> str:
    try:
        return sha256_file(Path(file))
    except OSError:
        return "unreadable"


@functools.cache
def _real_path(file: str) -> str:
    """``os.path.realpath``, once per module file: thousands of modules are imported."""
    return os.path.realpath(file)


@functools.cache
def _distribution_packages() -> frozenset[str]:
    """The top-level import names of every installed distribution (editable ones too),
    remembered per environment: reading every distribution's file list takes a second."""
    from importlib.metadata import packages_distributions

    path = cache_dir() / "top-level" / f"{environment_fingerprint()['hash']}.json"
    try:
        cached = json.loads(path.read_text())
        if isinstance(cached, list):
            return frozenset(map(str, cached))
    except (OSError, ValueError):
        pass
    names = frozenset(packages_distributions())
    try:
        write_json(path, sorted(names))
    except OSError as exc:  # a read-only home: read them each time
        logger.debug("top-level names not remembered: %s", exc)
    return names


class _Discard:
    """A file that forgets what is written: only the objects met on the way matter."""

    def write(self, data: bytes) -> int:
        return len(data)
