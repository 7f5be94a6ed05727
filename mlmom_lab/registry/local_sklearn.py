"""A scikit-learn model read from an MLflow model folder on this disk, without MLflow.

Importing MLflow takes most of a second, and reading the model of a store on this disk needs
only its ``MLmodel`` file and the serialized estimator. :func:`load` does what
``mlflow.sklearn.load_model`` does for such a folder (the flavor's configuration, its
serialization format, the types skops is told to trust) and leaves every other case to
MLflow: code logged with the model (the flavor's ``code``, which MLflow puts on
``sys.path`` first), a format it does not know, and any value of
``MLFLOW_ALLOW_PICKLE_DESERIALIZATION`` (MLflow's own gate on deserializing, read its way).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

GATE = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"  # unset: MLflow allows it


def load(folder: Path) -> Any | None:
    """The estimator of the MLflow model in ``folder``; None where MLflow must load it."""
    conf = _sklearn_flavor(folder)
    if GATE in os.environ or conf is None or conf.get("code") or "pickled_model" not in conf:
        return None
    path = folder / str(conf["pickled_model"])
    form = conf.get("serialization_format", "pickle")
    if form == "skops":
        import skops.io

        return skops.io.load(path, trusted=conf.get("skops_trusted_types"))
    if form in ("pickle", "cloudpickle"):  # cloudpickle writes what pickle reads
        import pickle

        with open(path, "rb") as file:
            return pickle.load(file)  # the store's own model, as MLflow loads it
    return None


def _sklearn_flavor(folder: Path) -> dict[str, Any] | None:
    from .kinds import flavors_of

    conf = flavors_of(folder).get("sklearn")
    return conf if isinstance(conf, dict) else None
