"""Registering a trained model of any kind: signature, input example, lineage, metrics, ONNX
twin, reference statistics and explanations.

A workflow over the registry, the pipeline's lineage, monitoring's reference statistics and
the explanations, which is why it sits above all four:

    from mlmom_lab import registration
    info = registration.register_model(model, X_test.head(5), metrics={"roc_auc": 0.91},
                                       held_out=X_test, held_out_target=y_test)
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from .identity import current_user
from .mlflow_clients import missing_as
from .pipeline.hashing import sha256_json
from .project import Project
from .registry import kinds, onnx
from .registry.approvals import REGISTERED_BY
from .registry.versions import METRIC_TAG, VersionInfo, client_for, get_version, project_of

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TypeAlias

    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient

    from .explain.artifacts import GlobalImportance
    from .monitoring.performance import Calibration
    from .monitoring.reference import ReferenceStats
    from .registry.onnx import Exporting, OnnxResult
    from .track import StageContext

    Monitoring = tuple[ReferenceStats, Calibration | None]  # reference statistics, calibration
    Labels: TypeAlias = pd.Series | np.ndarray | Sequence[Any]  # one label per row

logger = logging.getLogger("mlmom.registry")


def register_model(
    model: Any,
    input_example: pd.DataFrame,
    *,
    name: str | None = None,
    metrics: dict[str, float] | None = None,
    held_out: pd.DataFrame | None = None,
    held_out_target: Labels | None = None,
    reference: pd.DataFrame | None = None,
    reference_target: Labels | None = None,
    description: str = "",
    task: str | None = None,
    project: Project | str | None = None,
) -> VersionInfo:
    """Log ``model`` to MLflow and register it as a new version of the project's model.

    ``model`` is a scikit-learn estimator or pipeline, an XGBoost or LightGBM model, an
    ``mlflow.pyfunc.PythonModel`` or an ONNX graph (see :mod:`.kinds`); anything else, or a
    model that cannot answer its own rows, is refused before anything is logged. ``task``
    (classification, regression, clustering, other) is what the model says, unless given.

    Inside a pipeline stage the model goes to the stage's MLflow run and the version carries
    the pipeline's lineage; run by hand it goes to a new run of the project's experiment.
    ``held_out`` rows (a DataFrame, defaulting to ``input_example``) check the ONNX export.
    ``reference`` (the training features) and ``reference_target`` (their labels) become the
    version's reference statistics for drift monitoring, with the model's predictions on them,
    and the rows its explanations are computed on; without them the held-out rows (and
    ``held_out_target``) serve, so monitoring and explanations work all the same. A
    classifier's probabilities on ``held_out`` against ``held_out_target`` calibrate the
    performance estimate used before labels arrive.
    """
    from .track import context

    kind = kinds.kind_of(model)
    native = kinds.native(model, kind)
    frame = held_out if held_out is not None else input_example
    answers = _answers(native, frame)
    probabilities = _probabilities(native, frame)
    if frame is not input_example:  # the server answers the example when it loads
        _answers(native, input_example)
    task = kinds.task_of(native, task)
    refused = kinds.refused_gaps(native, frame)
    if reference is None and held_out is not None:  # the rows we have stand for training's
        reference, reference_target = held_out, held_out_target
    project = project_of(project)
    name = name or project.spec.model
    ctx = context(wait_for_run=True)
    lineage = ctx.lineage if ctx else _manual_lineage(project)
    gaps = [str(c) for c in frame.columns if str(c) not in refused]
    with (
        onnx.Exporting(
            native, frame, kind=kind, gaps=gaps, answers=(answers, probabilities)
        ) as exporting,
        _Explaining(native, reference) as explaining,
    ):  # converted and explained in children while the model is logged here
        monitoring = _reference(
            native, reference, reference_target, held_out, held_out_target, probabilities
        )
        run_id, model_uri = _log(
            project,
            _Model(model, kind, answers),
            input_example,
            frame,
            ctx,
            lineage,
            exporting,
            metrics or {},
            monitoring,
            explaining,
        )
    exported = exporting.result()
    tags = {
        **_version_tags(kind, task, lineage, exported, metrics or {}),
        **explaining.result().tags(),
        "mlmom.inputs.refuses_gaps": json.dumps(refused),
        REGISTERED_BY: (ctx.who if ctx else "") or current_user(),
    }
    if exported.status == "ok":  # what a server's twin answers in, before the model loads
        tags["mlmom.outputs"] = _outputs(native, input_example)
    client = client_for(project)
    _ensure_registered(client, name)
    # The client, not mlflow.register_model: that one prints to stderr on every call.
    mv = client.create_model_version(
        name,
        model_uri,
        run_id=run_id,
        tags=tags,
        description=description or None,
        model_id=model_uri.removeprefix("models:/"),
    )
    return get_version(name, mv.version, project)


def _answers(native: Any, frame: pd.DataFrame) -> Any:
    """What the model answers for ``frame``: a model that cannot is refused here, before
    anything is logged (no orphan model left in the run)."""
    from .errors import InvalidRequest

    try:
        return native.predict(frame)
    except Exception as exc:  # noqa: BLE001 - any model's own failure, said in one line
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise InvalidRequest(
            f"the model cannot predict its held-out rows: {type(exc).__name__}: {first}"
        ) from None


def _probabilities(native: Any, frame: pd.DataFrame) -> Any:
    """The model's probabilities for ``frame``, asked once for the twin's parity check and the
    performance calibration; None when it has none, or fails (each check asks it then)."""
    if not hasattr(native, "predict_proba"):
        return None
    try:
        return native.predict_proba(frame)
    except Exception:  # noqa: BLE001 - the check that needs them says why
        return None


def _outputs(native: Any, example: pd.DataFrame) -> str:
    """The types (and classes) the model answers its example in, as the server reads them."""
    import numpy as np

    from .serving.outputs import OutputSpec, Prediction

    values = np.asarray(native.predict(example))
    if not hasattr(native, "predict_proba"):
        return OutputSpec.of(Prediction(values)).to_json()
    probabilities = np.asarray(native.predict_proba(example))
    return OutputSpec.of(Prediction(values, probabilities, list(native.classes_))).to_json()


@dataclass
class _Model:
    """The object registered, its kind, and what it answered for the held-out rows."""

    obj: Any
    kind: str
    answers: Any


def _log(
    project: Project,
    model: _Model,
    input_example: pd.DataFrame,
    frame: pd.DataFrame,
    ctx: StageContext | None,
    lineage: dict[str, Any],
    exporting: Exporting,
    metrics: dict[str, float],
    monitoring: Monitoring | None,
    explaining: _Explaining,
) -> tuple[str, str]:
    """Log the model with its kind's flavor, its ONNX twin and its lineage to a run; the run
    and the model's URI."""
    import mlflow

    from .mlflow_clients import use_project

    use_project(project)
    run_kwargs = {"run_id": ctx.mlflow_run_id} if ctx else {"run_name": "register (by hand)"}
    active = mlflow.active_run()
    nested = active is not None and (not ctx or active.info.run_id != ctx.mlflow_run_id)
    with mlflow.start_run(nested=nested, **run_kwargs) as run:
        # The signature from all the held-out rows, not the few of the example: a column
        # with gaps anywhere must be known as one that may have gaps.
        signature = mlflow.models.infer_signature(frame, model.answers)
        model_uri = kinds.log(model.obj, model.kind, signature, input_example)
        if metrics:
            mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            exported = exporting.result()  # checked here: the conversion went on beside the log
            if exported.model is not None:
                (Path(tmp) / "model.onnx").write_bytes(exported.model)
                mlflow.log_artifact(str(Path(tmp) / "model.onnx"), artifact_path="onnx")
            (Path(tmp) / "lineage.json").write_text(json.dumps(lineage, indent=1, default=str))
            mlflow.log_artifact(str(Path(tmp) / "lineage.json"), artifact_path="lineage")
            if monitoring is not None:
                stats, calibration = monitoring
                stats.save(Path(tmp) / "monitoring")
                if calibration is not None:
                    calibration.save(Path(tmp) / "monitoring")
                mlflow.log_artifacts(str(Path(tmp) / "monitoring"), artifact_path="monitoring")
            explained = explaining.result()  # last: it was computed beside all the above
            if explained.importance is not None:
                from .explain import artifacts as explanation_artifacts

                folder = Path(tmp) / "explain"
                explanation_artifacts.save(explained.importance, explained.background, folder)
                mlflow.log_artifacts(str(folder), artifact_path=explanation_artifacts.ARTIFACT_PATH)
        return run.info.run_id, model_uri


def _reference(
    model: Any,
    features: pd.DataFrame | None,
    target: Labels | None,
    held_out: pd.DataFrame | None,
    held_out_target: Labels | None,
    probabilities: Any = None,
) -> Monitoring | None:
    """Reference statistics of the training data (features, the model's predictions, the
    labels) and, for a binary classifier, the calibration of its held-out probabilities
    (``probabilities``, when they were asked already)."""
    if features is None:
        return None
    from .monitoring.performance import Calibration
    from .monitoring.reference import PREDICTION, TARGET, reference_stats

    frame = features.copy()
    frame[PREDICTION] = model.predict(features)
    if target is not None:
        frame[TARGET] = list(target)
    calibration = None
    if held_out is not None and held_out_target is not None and hasattr(model, "predict_proba"):
        calibration = Calibration.fit(model, held_out, held_out_target, probabilities)
    return reference_stats(frame), calibration


@dataclass
class _Explained:
    """Global importance computed at registration, or why there is none."""

    importance: GlobalImportance | None = None
    background: pd.DataFrame | None = None
    skipped: str = ""

    def tags(self) -> dict[str, str]:
        if self.importance is None:
            return {"mlmom.explain.status": self.skipped} if self.skipped else {}
        top = [f.name for f in self.importance.ranked()[:3]]
        return {
            "mlmom.explain.status": "ok",
            "mlmom.explain.kind": self.importance.kind,
            "mlmom.explain.top": ",".join(top),
        }


class _Explaining:
    """SHAP global importance on the training features, computed while the version is logged
    (:func:`.explain.artifacts.start`); a model SHAP cannot explain is still registered, with
    the reason in its ``mlmom.explain.status`` tag."""

    def __init__(self, model: Any, reference: pd.DataFrame | None) -> None:
        from .explain import artifacts as explanation_artifacts

        self._computing: explanation_artifacts.Computing | None = None
        self._explained: _Explained | None = None
        if reference is None:
            self._explained = _Explained()
            return
        try:
            self._computing = explanation_artifacts.start(model, reference)
        except Exception as exc:  # noqa: BLE001 - any model may be registered; say why, go on
            self._explained = _skipped(exc)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._computing is not None:
            self._computing.close()  # nothing left running should the log have failed

    def result(self) -> _Explained:
        if self._explained is None:
            assert self._computing is not None
            try:
                self._explained = _Explained(*self._computing.result())
            except Exception as exc:  # noqa: BLE001 - as above
                self._explained = _skipped(exc)
        return self._explained


def _skipped(exc: Exception) -> _Explained:
    reason = f"skipped: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    logger.warning("explanations of the new version %s", reason)
    return _Explained(skipped=reason)


def _version_tags(
    kind: str, task: str, lineage: dict[str, Any], exported: OnnxResult, metrics: dict[str, float]
) -> dict[str, str]:
    git = lineage.get("git") or {}
    tags = {
        "mlmom.kind": kind,
        "mlmom.task": task,
        "mlmom.lineage.pipeline_run_id": str(lineage.get("pipeline_run_id") or ""),
        "mlmom.lineage.git_commit": str(git.get("commit", "")),
        "mlmom.lineage.git_dirty": str(git.get("dirty", "")).lower(),
        "mlmom.lineage.env_hash": str(lineage.get("environment", {}).get("hash", "")),
        "mlmom.lineage.data_sha256": sha256_json(lineage.get("data", {})),
        **exported.tags(),
    }
    tags.update({f"{METRIC_TAG}{k}": repr(float(v)) for k, v in metrics.items()})
    return tags


def _ensure_registered(client: MlflowClient, name: str) -> None:
    try:
        with missing_as(LookupError(name)):
            client.get_registered_model(name)
    except LookupError:
        client.create_registered_model(name)


def _manual_lineage(project: Project) -> dict[str, Any]:
    """Lineage of a model registered by hand, outside a pipeline: no stages to point at."""
    from .pipeline import lineage as lin
    from .pipeline.hashing import environment_fingerprint

    return lin.build(
        project,
        run_id=None,
        mlflow_parent_run_id=None,
        git=lin.git_info(project.root),
        env=environment_fingerprint(),
        stages={},
    )
