"""The pip requirements MLflow infers for a logged model, remembered per environment.

MLflow infers them by loading the saved model in a new Python process and mapping the modules
it imported to packages: seconds, most of what logging a model costs. That answer depends on
the installed packages, the flavor (and its serialization) and the code the model's objects
come from, so each such key asks MLflow once. Later models with the same key pass MLflow's own
answer back as ``pip_requirements``, and the files it writes (requirements.txt, conda.yaml,
python_env.yaml) are the same as if it had inferred them again.

Only models whose objects say which code they need are keyed: a pyfunc ``PythonModel`` may
import anything when it loads its context, so MLflow infers its requirements every time.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import types
from pathlib import Path
from typing import Any

from ..files import write_json
from ..pipeline.hashing import environment_fingerprint, sha256_json

logger = logging.getLogger("mlmom.registry")
CACHE_ENV = "MLMOM_CACHE_DIR"  # where remembered answers go; default ~/.cache/mlmom-lab


def cache_dir() -> Path:
    """The user's cache folder for mlmom-lab (``$MLMOM_CACHE_DIR``, else XDG's)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlmom-lab"


def key_of(model: Any, flavor: str) -> str | None:
    """What MLflow's answer for ``model`` logged as ``flavor`` depends on, hashed; None when
    the model's code cannot be listed (MLflow then infers, as it always would)."""
    modules = modules_of(model)
    if modules is None or "__main__" in modules:  # code pickled by value: MLflow reads it
        return None
    local = _local_code(modules)
    if local is None:
        return None
    env = environment_fingerprint()["hash"]
    return sha256_json({"environment": env, "flavor": flavor, "modules": sorted(modules),
                        "local": local})  # fmt: skip


def remembered(key: str | None) -> list[str] | None:
    """MLflow's answer for ``key``, when it was asked before in this environment."""
    if key is None:
        return None
    try:
        value = json.loads(_path(key).read_text())
    except (OSError, ValueError):
        return None
    good = isinstance(value, list) and all(isinstance(line, str) for line in value)
    return value if good else None


def remember(key: str | None, model_uri: str) -> None:
    """Keep the requirements MLflow just inferred for the model at ``model_uri``. Nothing is
    kept when they refer to other files (constraints): those belong to that model alone."""
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
    if any(line.startswith("-") for line in lines):
        return
    try:
        write_json(_path(key), lines)
    except OSError as exc:  # a read-only home: every model is inferred, as without a cache
        logger.debug("requirements cache not writable: %s", exc)


def _path(key: str) -> Path:
    return cache_dir() / "requirements" / f"{key}.json"


def modules_of(model: Any) -> frozenset[str] | None:
    """The modules of every object, class and function that pickling ``model`` reaches."""
    import cloudpickle

    class Recorder(cloudpickle.Pickler):  # type: ignore[misc]  # cloudpickle is untyped
        def persistent_id(self, obj: Any) -> None:
            seen.add(_module_of(obj))  # None: every object is pickled as usual

    seen: set[str] = set()
    try:
        Recorder(_Discard(), protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    except Exception:  # noqa: BLE001 - a model pickling cannot reach: let MLflow infer
        return None
    seen.discard("")
    return frozenset(seen)


def _local_code(modules: frozenset[str]) -> dict[str, str] | None:
    """The hash of each module's source that is not an installed package's (a project's own
    ``churn_data.py``): its imports are part of what loading the model imports."""
    import sys

    from ..pipeline.hashing import sha256_file

    installed = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    local = {}
    for name in modules:
        module = sys.modules.get(name)
        if module is None:
            return None  # named by an object but not imported here: nothing to go by
        file = getattr(module, "__file__", None)
        if not file or any(os.path.realpath(file).startswith(p + os.sep) for p in installed):
            continue
        try:
            local[name] = sha256_file(Path(file))
        except OSError:
            return None
    return local


def _module_of(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return str(getattr(obj, "__module__", "") or "")
    return str(type(obj).__module__ or "")


class _Discard:
    """A file that forgets what is written: only the objects met on the way matter."""

    def write(self, data: bytes) -> int:
        return len(data)
