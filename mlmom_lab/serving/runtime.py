"""A loaded model version, predicting with ONNX Runtime or natively, whichever is faster.

ONNX Runtime answers one row 30-1000x faster than scikit-learn but loses on large batches of
tree ensembles, so for each request the runtime uses ONNX Runtime only for batch sizes where
it was faster: as measured at registration when this machine is like the one that measured
(else measured again at load). A version without a parity-checked ONNX twin runs natively.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidInput
from ..registry.onnx import column_feeds
from ..registry.providers import execution_providers
from .outputs import OutputSpec, Prediction
from .schema import SMALL, InputSchema, from_signature

logger = logging.getLogger("mlmom.serving")

if TYPE_CHECKING:
    import pandas as pd

    from ..project import Project
    from .batching import Batcher

FLOAT32_SAFE = 1e38  # below float32's largest (3.4e38): the twin casts inputs to float32
INT_EXACT_IN_FLOAT32 = 2**24  # integers above it are rounded by a float32 cast


Columns = dict[str, np.ndarray]  # a batch: column name -> its values, one per row


@dataclass
class ModelRuntime:
    """One version ready to predict; ``onnx_below`` is the batch size from which native wins."""

    name: str
    version: str
    schema: InputSchema
    native: Any
    onnx: Any = None
    onnx_inputs: list[tuple[str, str]] = field(default_factory=list)
    onnx_below: int = 0
    load_seconds: float = 0.0
    providers: list[str] = field(default_factory=list)  # those the twin's session really uses
    variant: str = ""  # the variant of the ONNX graph that answers (int8), "" for the float one
    task: str = ""
    twin_gaps: frozenset[str] = frozenset()  # columns whose gaps the twin answers as the model
    outputs: OutputSpec | None = None  # set once the model has answered its example
    labels_by_argmax: bool = False  # predict is the most probable class: one pass, not two
    batcher: Batcher | None = field(default=None, repr=False, compare=False)  # the app sets it

    def predict(self, columns: dict[str, np.ndarray]) -> Prediction:
        rows = len(next(iter(columns.values())))
        if self.onnx is not None and rows < self.onnx_below and self._twin_takes(columns):
            return self._predict_onnx(columns)
        return self._predict_native(columns)

    def predict_frame(self, frame: pd.DataFrame) -> Prediction:
        """The answer to a DataFrame's rows, checked as a request's would be (a missing or
        mistyped column is refused, naming it); columns the model does not read are ignored."""
        raw = {
            c: frame[c].astype(object).where(frame[c].notna(), None).tolist()
            for c in self.schema.names
            if c in frame
        }
        return self.predict(self.schema.validate(raw))

    def _twin_takes(self, columns: dict[str, np.ndarray]) -> bool:
        """The twin answers as the model only where parity was checked: numbers float32
        holds exactly enough, and gaps only in the columns where its gap parity passed."""
        return all(_twin_holds(column, name in self.twin_gaps) for name, column in columns.items())

    def model(self) -> Any:
        """The model itself; while it still loads in the background (a quick start, see
        :mod:`.twin_first`), waits for it."""
        native = self.native
        if isinstance(native, Future):
            return native.result()
        return native

    def _predict_native(self, columns: dict[str, np.ndarray]) -> Prediction:
        native = self.model()
        try:
            values, probabilities = self._answer_native(native, columns)
        except (ValueError, TypeError) as exc:  # what the model refuses, the server refuses
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise InvalidInput(f"the model refuses this input: {first}") from None
        if probabilities is not None:
            return Prediction(values, probabilities, list(native.classes_), "native")
        return Prediction(values, engine="native")

    def _answer_native(
        self, native: Any, columns: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The model's values and probabilities (None where it has none)."""
        if hasattr(native, "answer"):  # an ONNX graph: one run, on the columns
            answer: tuple[np.ndarray, np.ndarray | None]
            answer = native.answer(columns, self.schema.names)
            return answer
        import pandas as pd

        frame = pd.DataFrame(columns, columns=self.schema.names)
        probabilities = (
            np.asarray(native.predict_proba(frame)) if hasattr(native, "predict_proba") else None
        )
        # labels_by_argmax is set only once outputs are, on a model with probabilities
        values = (
            self.outputs.labels(probabilities)
            if self.labels_by_argmax and self.outputs is not None and probabilities is not None
            else np.asarray(native.predict(frame))
        )
        return values, probabilities

    def _predict_onnx(self, columns: dict[str, np.ndarray]) -> Prediction:
        """The twin's answer, in the model's own types and classes (:class:`OutputSpec`,
        known before the twin is ever asked)."""
        outputs = self.onnx.run(None, column_feeds(columns, self.onnx_inputs))
        spec = self.outputs
        assert spec is not None, "a twin answers only once the model's outputs are known"
        if spec.probabilities is not None:
            # float32 sums can end a hair above 1 (1.0000004): never a probability above 1
            answer = Prediction(
                np.asarray(outputs[0]).reshape(-1),
                np.clip(outputs[1], 0.0, 1.0),
                list(spec.classes),
                "onnx",
            )
        else:
            answer = Prediction(np.asarray(outputs[0]).reshape(-1), engine="onnx")
        return spec.conform(answer)


def _twin_holds(column: np.ndarray, gaps_ok: bool) -> bool:
    """Whether the twin's float32 arithmetic answers ``column`` as the model would."""
    kind = column.dtype.kind
    if len(column) <= SMALL:  # a handful of values: Python beats numpy's per-call cost
        values = column.tolist()
        if kind == "f":  # NaN fails the comparison: only a gap the twin takes passes
            return all(
                abs(v) <= FLOAT32_SAFE or (gaps_ok and v != v)  # noqa: PLR0124 - NaN
                for v in values
            )
        if kind in "iu":
            return all(abs(v) <= INT_EXACT_IN_FLOAT32 for v in values)
        return gaps_ok or kind != "O" or all(v is not None for v in values)
    if kind == "f":
        with np.errstate(invalid="ignore"):
            if (np.abs(column) > FLOAT32_SAFE).any():
                return False
        return gaps_ok or not np.isnan(column).any()
    if kind in "iu":
        exact: bool = np.abs(column).max() <= INT_EXACT_IN_FLOAT32
        return exact
    return gaps_ok or kind != "O" or not (column == None).any()


def load(
    project: Project,
    ref: str,
    *,
    providers: list[str] | None = None,
    twin: bool = True,
    variant: str | None = None,
    quick: bool = False,
) -> ModelRuntime:
    """Load ``ref`` (``3``, ``champion``, ``model@champion``), warm it and calibrate it; with
    ``variant`` (``int8``), its variant of the ONNX graph where one was kept. ``quick``: the
    twin answers as soon as it is open, the model loading meanwhile (:mod:`.twin_first`)."""
    from .. import registry
    from ..mlflow_clients import use_project
    from ..registry.model_copy import model_files
    from ..registry.reading import reader_for
    from .variants import kept_variant

    began = time.perf_counter()
    name, version = registry.parse_ref(ref, project.spec.model)
    info = registry.get_version(name, version, project)
    if quick and twin and not variant:
        from . import twin_first

        runtime = twin_first.load(project, info, providers, began)
        if runtime is not None:
            return runtime
    use_project(project)  # MLflow's stores are the project's after a load: callers count on it
    reader = reader_for(project)
    twin_graph = (
        reader.run_file(info.run_id, "onnx/model.onnx")
        if twin and info.onnx.get("status") == "ok" and info.run_id is not None
        else None  # no twin (a version without a run has no artifacts to hold one)
    )
    kept = kept_variant(project, info, variant) if twin else None
    with model_files(project, info.name, info.version, info.source) as model_uri:
        return assemble(
            info.name,
            info.version,
            info.task,
            model_uri,
            info.onnx,
            kept if kept and twin_graph else twin_graph,  # the variant of the twin, when kept
            refuses_gaps=info.refuses_gaps,
            providers=providers,
            began=began,
            variant=variant if kept else None,
            # a model that is itself a graph: its variant is the model
            graph=kept if kept and twin_graph is None else None,
        )


def load_bundle(
    folder: Path, *, providers: list[str] | None = None, twin: bool = True
) -> ModelRuntime:
    """Load a version exported by :func:`mlmom_lab.deploy.bundle.export` (no registry needed)."""
    import json

    began = time.perf_counter()
    meta = json.loads((folder / "version.json").read_text())
    onnx_path = folder / "model.onnx" if twin and meta["onnx"].get("status") == "ok" else None
    return assemble(
        meta["name"],
        meta["version"],
        meta["task"],
        str(folder / "model"),
        meta["onnx"],
        onnx_path,
        refuses_gaps=meta.get("refuses_gaps", ()),
        providers=providers,
        began=began,
    )


def assemble(
    name: str,
    version: str,
    task: str,
    model_uri: str,
    onnx: dict[str, Any],
    twin: str | Path | bytes | None,
    *,
    refuses_gaps: list[str] | tuple[str, ...] = (),
    providers: list[str] | None = None,
    began: float | None = None,
    variant: str | None = None,
    graph: bytes | None = None,
) -> ModelRuntime:
    """A runtime from an MLflow model (loaded through the flavor it was logged with) and,
    when it passed parity, its ONNX twin; warm. ``refuses_gaps`` names the columns the model
    takes no missing value in (a gap there is a 400). ``variant`` names the variant that
    ``twin`` (a twin's graph, or its path) or ``graph`` (what answers instead of a graph
    model) holds."""
    import mlflow

    from ..registry.kinds import OnnxGraph
    from ..registry.kinds import load as load_native

    began = time.perf_counter() if began is None else began
    served = execution_providers(providers)  # where a graph that is the model runs too
    native = OnnxGraph(graph, served) if graph is not None else load_native(model_uri, served)
    schema = from_signature(mlflow.models.Model.load(model_uri).signature, refuses_gaps)
    runtime = ModelRuntime(name, version, schema, native, task=task, variant=variant or "")
    if isinstance(native, OnnxGraph):  # the model is an ONNX graph: say where it really runs
        runtime.providers = list(native.session.get_providers())
        _say_fallback(runtime, providers)
    example = _example(model_uri, schema)
    answer = runtime._predict_native(example)
    runtime.outputs = OutputSpec.of(answer)
    runtime.labels_by_argmax = _predicts_by_argmax(native, answer)
    if twin is not None:
        open_twin(runtime, twin if isinstance(twin, bytes) else str(twin), onnx, providers)
        if variant:  # asked for: it answers every batch; rows with gaps go to the model
            from .variants import answers_all

            runtime.onnx_below = answers_all(runtime, example)
        else:
            runtime.twin_gaps = frozenset(onnx.get("gaps", ()))
            runtime.onnx_below = calibrate(runtime, example, onnx)
    runtime.load_seconds = time.perf_counter() - began
    return runtime


def open_twin(
    runtime: ModelRuntime, graph: str | bytes, onnx: dict[str, Any], asked: list[str] | None
) -> None:
    """Give ``runtime`` its twin's session (``graph``: a path or the bytes), its inputs as
    parity checked them, and where the session really runs (said when not where asked)."""
    from ..registry.providers import session

    runtime.onnx = session(graph, asked)
    runtime.providers = list(runtime.onnx.get_providers())
    _say_fallback(runtime, asked)
    runtime.onnx_inputs = [tuple(pair) for pair in onnx["inputs"]]


def _say_fallback(runtime: ModelRuntime, asked: list[str] | None) -> None:
    """ONNX Runtime starts on the next provider when one cannot (CUDA without a usable GPU)
    and only logs it: say so where the server's operator looks."""
    wanted = asked or execution_providers()
    if wanted and runtime.providers[0] != wanted[0]:
        logger.warning(
            "%s version %s: %s could not start; its ONNX twin runs on %s",
            runtime.name,
            runtime.version,
            wanted[0],
            runtime.providers[0],
        )


# Classifiers whose predict is, by definition, the class of largest predict_proba (ties go to
# the first class either way): the native path runs them once per request, not twice.
ARGMAX_CLASSIFIERS = frozenset(
    {
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
        "GradientBoostingClassifier",
        "HistGradientBoostingClassifier",
        "LogisticRegression",
        "XGBClassifier",
        "LGBMClassifier",
    }
)


def _predicts_by_argmax(native: Any, answer: Prediction) -> bool:
    """Whether labels may come from the probabilities: a classifier known to predict by
    argmax, whose own answer to the example says so too."""
    last = native.steps[-1][1] if hasattr(native, "steps") else native
    if type(last).__name__ not in ARGMAX_CLASSIFIERS or answer.probabilities is None:
        return False
    classes = np.asarray(answer.classes, dtype=object)
    same: bool = classes[answer.probabilities.argmax(axis=1)].tolist() == answer.values.tolist()
    return same


def _example(source: str, schema: InputSchema) -> dict[str, np.ndarray]:
    """The version's input example (stored with the model) as columns."""
    import mlflow

    frame: pd.DataFrame = mlflow.models.Model.load(source).load_input_example(
        mlflow.artifacts.download_artifacts(source)
    )  # logged from a DataFrame by registration
    return schema.validate({c: frame[c].tolist() for c in frame.columns})


def calibrate(
    runtime: ModelRuntime, example: dict[str, np.ndarray], stored: dict[str, Any] | None = None
) -> int:
    """The batch size from which native beats ONNX Runtime (0: never ONNX): the one stored
    at registration when it was measured on hardware like this, else measured now. Either
    way both engines have answered the example once, so the first request finds them warm."""
    from ..registry.crossover import crossover, usable_calibration

    below = usable_calibration(stored or {}, runtime.onnx)
    if below is None:
        return crossover(runtime._predict_native, runtime._predict_onnx, example)
    runtime._predict_onnx(example)
    runtime._predict_native(example)
    return below
