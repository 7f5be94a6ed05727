"""Model kinds: what a trained object is, how MLflow logs it, and how it loads back.

| kind     | what                                                  | MLflow flavor |
|----------|-------------------------------------------------------|---------------|
| sklearn  | scikit-learn estimators and pipelines (with XGBoost or LightGBM steps too) | sklearn |
| xgboost  | an XGBoost model of its scikit-learn API              | xgboost       |
| lightgbm | a LightGBM model of its scikit-learn API              | lightgbm      |
| pyfunc   | any ``mlflow.pyfunc.PythonModel``                     | python_function |
| onnx     | an ONNX graph (``onnx.ModelProto`` or a ``.onnx`` file), e.g. a network exported from PyTorch or Keras | onnx |

Everything downstream (the ONNX twin's parity check, reference statistics, explanations,
serving) talks to a model through one small interface, the *native* model: ``predict(frame)``,
and ``predict_proba(frame)`` with ``classes_`` where the model has probabilities. Estimators
of the three scikit-learn-like kinds are their own native model; a ``PythonModel`` and an
ONNX graph are wrapped. Loading a registered version gives back the same interface through
the flavor it was logged with, so the served answer is the registered model's own.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from mlflow.models import ModelSignature
    from mlflow.models.model import ModelInfo

    from ..project import Project
    from .requirements import Reached

KINDS = ("sklearn", "xgboost", "lightgbm", "pyfunc", "onnx")
TASKS = ("classification", "regression", "clustering", "other")


def kind_of(model: Any) -> str:
    """The kind of ``model``; an object no kind takes is refused here, before any logging."""
    if isinstance(model, (str, Path)):
        if str(model).endswith(".onnx") and Path(model).is_file():
            return "onnx"
        raise InvalidRequest(
            f"{model!r} is not a .onnx file: pass a trained model, or the path of an ONNX graph"
        )
    module = type(model).__module__
    if module.startswith("onnx") and type(model).__name__ == "ModelProto":
        return "onnx"
    if module.startswith("xgboost.") and hasattr(model, "fit"):
        return "xgboost"
    if module.startswith("lightgbm.") and hasattr(model, "fit"):
        return "lightgbm"
    if module.startswith("sklearn.") and hasattr(model, "fit"):
        return "sklearn"
    if _is_python_model(model):
        return "pyfunc"
    raise InvalidRequest(
        f"cannot register a {type(model).__module__}.{type(model).__name__}: register a "
        "scikit-learn estimator or pipeline, an XGBoost or LightGBM model (scikit-learn API), "
        "an mlflow.pyfunc.PythonModel, or an ONNX graph"
    )


def _is_python_model(model: Any) -> bool:
    from mlflow.pyfunc.model import PythonModel

    return isinstance(model, PythonModel)


def native(model: Any, kind: str) -> Any:
    """The in-memory model as everything downstream calls it."""
    if kind == "pyfunc":
        return PythonModelAdapter(model)
    if kind == "onnx":
        return OnnxGraph(_onnx_bytes(model))
    return model


def task_of(model: Any, declared: str | None = None) -> str:
    """``declared`` when given (checked), else what the model says it is."""
    if declared is not None:
        if declared not in TASKS:
            raise InvalidRequest(f"task {declared!r} is not one of {', '.join(TASKS)}")
        return declared
    task: str | None = getattr(model, "task", None)
    if task in TASKS:
        return task
    estimator_type: object = getattr(model, "_estimator_type", None)
    if estimator_type is None and hasattr(model, "__sklearn_tags__"):
        estimator_type = getattr(model.__sklearn_tags__(), "estimator_type", None)
    tasks: dict[object, str] = {
        "classifier": "classification",
        "regressor": "regression",
        "clusterer": "clustering",
    }
    return tasks.get(estimator_type, "other")


def with_gap(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """A copy of ``frame`` with every value of ``column`` missing (NaN or None, by type)."""
    trial = frame.copy()
    numeric = trial[column].dtype.kind in "fiu"
    trial[column] = float("nan") if numeric else None
    if not numeric:
        trial[column] = trial[column].astype(object)
    return trial


def refused_gaps(model: Any, frame: pd.DataFrame) -> list[str]:
    """The columns in which ``model`` refuses a missing value, tried on a few rows: the
    server answers a gap there with a 400, never with an answer the model would not give.
    Every column's gap goes in one batch first; each is tried alone only when it fails."""
    import pandas as pd

    probe = frame.dropna().head(8)
    probe = probe if len(probe) else frame.head(8)
    trials = {str(column): with_gap(probe, column) for column in frame.columns}
    if trials and _accepts(model, pd.concat(trials.values(), ignore_index=True)):
        return []
    return [column for column, trial in trials.items() if not _accepts(model, trial)]


def _accepts(model: Any, rows: pd.DataFrame) -> bool:
    try:
        model.predict(rows)
    except Exception:  # noqa: BLE001 - whatever the model raises, it refuses the gap
        return False
    return True


# -- logging and loading ----------------------------------------------------------------------
def log(
    model: Any, kind: str, signature: ModelSignature | None, input_example: pd.DataFrame
) -> str:
    """Log ``model`` with its kind's MLflow flavor into the active run; its model URI."""
    import mlflow

    common = {"name": "model", "signature": signature, "input_example": input_example}
    if kind == "sklearn":
        return _log_sklearn(model, common)
    if kind == "xgboost":
        import mlflow.xgboost

        return _logged(mlflow.xgboost.log_model, model, "xgboost-ubj", model_format="ubj", **common)
    if kind == "lightgbm":
        import mlflow.lightgbm

        return _logged(mlflow.lightgbm.log_model, model, "lightgbm", **common)
    if kind == "onnx":
        import mlflow.onnx
        import onnx

        from .providers import execution_providers

        graph = onnx.load_from_string(_onnx_bytes(model))
        providers = execution_providers()
        return _logged(mlflow.onnx.log_model, graph, "onnx", onnx_execution_providers=providers,
                       **common)  # fmt: skip
    # a PythonModel may import anything as it loads: MLflow infers its requirements each time
    logged: ModelInfo = mlflow.pyfunc.log_model(python_model=model, **common)
    return logged.model_uri


def _log_sklearn(model: Any, common: dict[str, Any]) -> str:
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    from . import requirements
    from .skops_types import untrusted_types

    # skops refuses types it does not know; the model was built in this very process,
    # so the types it holds are the ones its author chose to trust.
    reached = requirements.reached_by_pickling(model)  # for both caches' keys
    trusted = untrusted_types(model, reached)
    if trusted is None:  # a step skops cannot write (an XGBoost booster, say)
        return _logged(mlflow.sklearn.log_model, model, "sklearn-cloudpickle",
                       serialization_format="cloudpickle", reached=reached, **common)  # fmt: skip
    skops = functools.partial(_logged, mlflow.sklearn.log_model, model, "sklearn-skops",
                              reached=reached, **common)  # fmt: skip
    try:
        return skops(skops_trusted_types=trusted)
    except MlflowException as exc:
        refused_types = "untrusted types" in str(exc)
        fresh = untrusted_types(model, reached, remembered=False) if refused_types else None
        if fresh is None or fresh == trusted:
            raise
    return skops(skops_trusted_types=fresh)  # the remembered list no longer held


def _logged(
    log_model: Any, model: Any, flavor: str, *, reached: Reached | None = None, **kwargs: Any
) -> str:
    """``log_model(model, **kwargs)`` with the requirements MLflow inferred for the same code in
    this environment before, when it did (:mod:`.requirements`); its model URI. ``reached``:
    what pickling the model reaches, when the caller has it."""
    from . import requirements

    key = requirements.key_of(model, flavor, kwargs["input_example"], reached)
    known = requirements.remembered(key)
    with requirements.inference_warnings() as warned:
        logged: ModelInfo = log_model(model, pip_requirements=known, **kwargs)  # untyped flavors
    if known is None and not warned:  # an inference that fell back is not MLflow's answer
        requirements.remember(key, logged.model_uri)
    return logged.model_uri


def load(model_uri: str, providers: list[str] | None = None) -> Any:
    """A registered model, loaded through the flavor it was logged with, as a native model;
    an ONNX graph on ONNX Runtime's ``providers`` (default: the CPU)."""
    from . import local_sklearn

    if Path(model_uri).is_dir() and (model := local_sklearn.load(Path(model_uri))) is not None:
        return model  # a store on this disk: MLflow's import is most of the time
    import mlflow

    flavors = mlflow.models.Model.load(model_uri).flavors
    if "sklearn" in flavors:
        import mlflow.sklearn

        return mlflow.sklearn.load_model(model_uri)
    if "xgboost" in flavors:
        import mlflow.xgboost

        return mlflow.xgboost.load_model(model_uri)
    if "lightgbm" in flavors:
        import mlflow.lightgbm

        return mlflow.lightgbm.load_model(model_uri)
    if "onnx" in flavors:
        folder = Path(mlflow.artifacts.download_artifacts(model_uri))
        return OnnxGraph((folder / flavors["onnx"]["data"]).read_bytes(), providers)
    return PyfuncAdapter(mlflow.pyfunc.load_model(model_uri))


NATIVE_FLAVORS = ("sklearn", "xgboost", "lightgbm", "onnx")  # loaded without running its code


def load_version(project: Project, name: str, version: str, source: str) -> Any:
    """A version's model as :func:`load` gives it, from where :mod:`.model_copy` says."""
    from .model_copy import model_files

    with model_files(project, name, version, source) as where:
        return load(where)


def flavors_in(folder: Path) -> set[str]:
    """The flavors a model's ``MLmodel`` file in ``folder`` names (none when unreadable)."""
    return set(flavors_of(folder))


def flavors_of(folder: Path) -> dict[str, Any]:
    """Each flavor of the ``MLmodel`` file in ``folder`` with its configuration (none when
    unreadable)."""
    import yaml

    try:
        flavors = (yaml.safe_load((folder / "MLmodel").read_text()) or {}).get("flavors") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        return {}
    return flavors if isinstance(flavors, dict) else {}


def _onnx_bytes(model: Any) -> bytes:
    if isinstance(model, (str, Path)):
        return Path(model).read_bytes()
    graph: bytes = model.SerializeToString()
    return graph


# -- the adapters -------------------------------------------------------------------------------
def _values(output: Any) -> np.ndarray:
    """A model's output as one numpy array of answers (a one-column frame is its column)."""
    import numpy as np

    if hasattr(output, "to_numpy"):
        output = output.to_numpy()
    array = np.asarray(output)
    return array[:, 0] if array.ndim == 2 and array.shape[1] == 1 else array


class PythonModelAdapter:
    """A ``PythonModel`` in memory, called as MLflow calls it once logged (context first)."""

    def __init__(self, python_model: Any) -> None:
        from mlflow.pyfunc.model import PythonModelContext

        self.python_model = python_model
        self.context = PythonModelContext(artifacts={}, model_config={})
        python_model.load_context(self.context)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return _values(self.python_model.predict(self.context, frame))


class PyfuncAdapter:
    """A loaded pyfunc model (MLflow's general path): its ``predict``, nothing assumed."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return _values(self.model.predict(frame))


class OnnxGraph:
    """An ONNX graph run by ONNX Runtime as the model itself (not a twin of another model).

    Inputs: one per column (a graph exported from a scikit-learn pipeline), or one 2-D tensor
    taking the columns in order (a network). Outputs: the first is the answer; a second one,
    as skl2onnx's classifiers have, holds the class probabilities.
    """

    def __init__(self, graph: bytes, providers: list[str] | None = None) -> None:
        """``providers``: where a server runs it (default: the CPU, as registration checks
        it)."""
        from .providers import session

        self.graph = graph
        self.session = session(graph, providers or ["CPUExecutionProvider"])
        self.inputs = self.session.get_inputs()
        self.outputs = [o.name for o in self.session.get_outputs()]
        if len(self.outputs) > 1:
            self.predict_proba = self._predict_proba  # only where the graph has them
            self.classes_ = _class_labels(graph, self.session.get_outputs()[1].shape)

    @property
    def task(self) -> str | None:
        return "classification" if len(self.outputs) > 1 else None

    def _feeds(self, columns: dict[str, Any], order: list[str]) -> dict[str, Any]:
        """The graph's inputs from the columns: one 2-D tensor of them all, in ``order``, or
        one ``[rows, 1]`` tensor per column."""
        import numpy as np

        from .onnx import column_feeds

        if len(self.inputs) == 1 and self.inputs[0].name not in columns:
            dtype = np.float64 if "double" in self.inputs[0].type else np.float32
            return {
                self.inputs[0].name: np.column_stack(
                    [np.asarray(columns[name], dtype=dtype) for name in order]
                )
            }
        return column_feeds(
            columns, [(i.name, "string" if "string" in i.type else "float") for i in self.inputs]
        )

    def frame_feeds(self, frame: pd.DataFrame) -> dict[str, Any]:
        """The graph's inputs from a frame's columns."""
        return self._feeds({c: frame[c].to_numpy() for c in frame.columns}, list(frame.columns))

    def answer(self, columns: dict[str, Any], order: list[str]) -> tuple[Any, Any]:
        """The answers and, where the graph has them, the probabilities, in one run on the
        columns (no frame: the serving path)."""
        import numpy as np

        outputs = self.session.run(self.outputs[:2], self._feeds(columns, order))
        return _values(outputs[0]), (np.asarray(outputs[1]) if len(outputs) > 1 else None)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return _values(self.session.run(self.outputs[:1], self.frame_feeds(frame))[0])

    def _predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        return np.asarray(self.session.run(self.outputs[1:2], self.frame_feeds(frame))[0])


def _class_labels(graph: bytes, probabilities_shape: list[Any]) -> list[Any]:
    """The class labels of a classifier graph, in the order of its probabilities: those a
    tree or linear classifier node declares; else the constant a network's label is picked
    from (skl2onnx: ``ArrayFeatureExtractor(classes, ArgMax(probabilities))``); else the
    class index, 0 to k - 1 (a network exported from PyTorch or Keras answers the index)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(graph).graph
    for node in model.node:
        for attribute in node.attribute:
            if attribute.name == "classlabels_strings":
                return [s.decode() for s in attribute.strings]
            if attribute.name in ("classlabels_int64s", "classlabels_ints"):
                return list(attribute.ints)
    constants = {tensor.name: tensor for tensor in model.initializer}
    for node in model.node:
        if node.op_type == "ArrayFeatureExtractor" and node.input[0] in constants:
            labels = numpy_helper.to_array(constants[node.input[0]]).reshape(-1).tolist()
            return [label.decode() if isinstance(label, bytes) else label for label in labels]
    width = probabilities_shape[-1] if probabilities_shape else None
    return list(range(width)) if isinstance(width, int) else []
