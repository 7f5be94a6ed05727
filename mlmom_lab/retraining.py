"""The retraining loop: alert -> retrain or update -> challenger -> canary -> promote or roll back.

A small state machine kept in ``.mlmom/monitoring/loop.json`` (with every step in its
history; see :mod:`.monitoring.loop_state`), advanced by each monitoring check:

- **idle**: an alert named in ``monitoring.retrain.on`` fired -> export the recent labelled
  rows from the prediction log (the newest ``holdout`` share kept apart), run the pipeline
  with ``recent_param`` pointing at them (papermill: cached, logged, reproducible like any
  run) - or, with ``strategy: incremental``, ``partial_fit`` a copy of the champion on them -
  and compare the new version (``challenger``) with the champion on the kept-apart rows; if
  it is not worse by more than ``offline_tolerance``, release it as a canary.
- **approval** (with ``governance.require_approval``): the challenger waits, unreleased,
  until someone approves it (then it goes out as a canary) or rejects it (the loop is idle).
- **canary**: once ``min_samples`` canary rows are labelled, compare the canary's measured
  metric with the champion's over the same period: promote when it wins by ``margin``,
  otherwise roll back (the canary is removed; the champion never moved).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidRequest
from .monitoring.loop_state import KEPT, LoopState, save, state
from .monitoring.performance import measured
from .monitoring.reference import PREDICTION, SCORE, TARGET
from .monitoring.windows import META_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from .monitoring.alerts import Alert
    from .monitoring_spec import RetrainPolicy
    from .project import Project
    from .serving.rollout import Release


def advance(project: Project, fired: list[Alert], now: float | None = None) -> LoopState:
    """One step of the loop after a check that fired ``fired``; returns the new state."""
    policy = project.spec.monitoring.retrain
    current = state(project)
    if policy is None:
        return current
    now = time.time() if now is None else now
    if current["state"] == "canary":
        return save(project, _judge_canary(project, policy, current, now))
    if current["state"] == "approval":
        return save(project, _after_approval(project, policy, current, now))
    triggers = [a.rule for a in fired if a.rule in policy.on]
    if triggers:
        return save(
            project, _retrain(project, policy, current, f"alert {', '.join(triggers)}", now)
        )
    if policy.every_seconds is not None:
        if _due(policy, current, now):
            return save(
                project, _retrain(project, policy, current, f"schedule (every {policy.every})", now)
            )
        return save(project, current)  # the schedule's clock may have started
    return current


def _due(policy: RetrainPolicy, current: LoopState, now: float) -> bool:
    """The schedule: this long since the last retraining (or since the loop began)."""
    if policy.every_seconds is None:
        return False
    last = current.get("retrained_at", current.get("started_at"))
    if last is None:  # the first check under a schedule starts the clock
        current["started_at"] = now
        return False
    due: bool = now - last >= policy.every_seconds
    return due


def _retrain(
    project: Project, policy: RetrainPolicy, current: LoopState, trigger: str, now: float
) -> LoopState:
    from . import registry
    from .monitoring.windows import load_window
    from .pipeline import run_pipeline
    from .serving import deployment

    champion = deployment.current(project).champion
    if champion is None:  # a release always leaves one: only a hand-edited file has none
        return _step(current, now, "idle", "not retrained: no champion is deployed")
    window = load_window(project, version=champion)
    labelled = _as_answered(window.frame[window.frame[TARGET].notna()].tail(policy.recent_rows))
    if len(labelled) < 10:
        return _step(current, now, "idle", f"not retrained: only {len(labelled)} labelled rows")
    cut = int(len(labelled) * (1 - policy.holdout))
    train_rows, holdout = labelled.iloc[:cut], labelled.iloc[cut:]
    if policy.strategy == "incremental":
        challenger, learned = _incremental(project, champion, train_rows, holdout, policy.epochs)
        how = f"updated ({learned})"
    else:
        result = run_pipeline(
            project,
            overrides=_overrides(policy, _export(project, train_rows, policy.target_column)),
        )
        if not result.ok:
            failed = next(s for s in result.stages if s.error)
            return _step(
                current, now, "idle", f"retraining failed in {failed.stage}: {failed.error}"
            )
        challenger = registry.get_version(project.spec.model, "challenger", project).version
        how = "retrained"
    ours, theirs = _offline(project, policy, challenger, champion, holdout)
    current = {**current, "retrained_at": now}
    why = (
        f"{trigger}: {how} on {len(train_rows)} recent "
        f"rows as version {challenger}; on {len(holdout)} held-out recent rows "
        f"{policy.metric} {ours:.3f} vs champion v{champion}'s {theirs:.3f}"
    )
    why += _gate_said(project, challenger)
    if challenger == champion or ours < theirs - policy.offline_tolerance:
        return _step(current, now, "idle", why + ": not released")
    versions = {"canary": challenger, "champion": champion}
    if _waits_for_approval(project, challenger):
        waits = f"waits for approval (mlmom registry approve {challenger} -m WHY)"
        return {**_step(current, now, "approval", f"{why}: {waits}"), **versions}
    return _canary(project, policy, {**current, **versions}, now, why)


def _canary(
    project: Project, policy: RetrainPolicy, current: LoopState, now: float, why: str
) -> LoopState:
    """Release the challenger as a canary; the loop then waits for its labels."""
    from . import release

    live = _released(
        release.canary,
        project,
        current["canary"],
        policy.canary_weight,
        reason=f"retraining loop: canary of v{current['canary']}",
    )
    versions = {k: current[k] for k in ("canary", "champion")}
    return {**_step(current, now, "canary", f"{why}: {live}"), **versions, "since": now}


def _waits_for_approval(project: Project, version: str) -> bool:
    from .registry import approvals, get_version

    if not project.spec.governance.require_approval:
        return False
    return approvals.of(get_version(None, version, project)).status != "approved"


def _after_approval(
    project: Project, policy: RetrainPolicy, current: LoopState, now: float
) -> LoopState:
    """A challenger that waited for approval: released once approved, dropped if rejected."""
    from .registry import approvals, get_version

    decision = approvals.of(get_version(None, current["canary"], project))
    if decision.status == "pending":
        return current
    said = f"version {current['canary']} {decision.status} by {decision.who}: {decision.why}"
    if decision.status == "rejected":
        return _step(current, now, "idle", f"{said}: not released")
    return _canary(project, policy, current, now, said)


def _judge_canary(
    project: Project, policy: RetrainPolicy, current: LoopState, now: float
) -> LoopState:
    from . import release
    from .monitoring.windows import load_window

    scores: dict[str, float] = {}
    for route, version in (("canary", current["canary"]), ("champion", current["champion"])):
        frame = load_window(project, version=version, route=route, since=current["since"]).frame
        labelled = frame[frame[TARGET].notna()]
        if route == "canary" and len(labelled) < policy.min_samples:
            return current  # keep waiting for labels
        scores[route] = _metric(policy, labelled) if len(labelled) else float("-inf")
    wins = scores["canary"] >= scores["champion"] + policy.margin
    why = (
        f"canary v{current['canary']} {policy.metric} {scores['canary']:.3f} vs champion "
        f"v{current['champion']} {scores['champion']:.3f} (margin {policy.margin})"
    )
    if wins:
        live = _released(release.promote, project, reason=f"retraining loop: {why}")
        return _step(current, now, "idle", f"promoted: {why}; {live}")
    live = _released(release.clear, project, reason=f"retraining loop: rolled back, {why}")
    return _step(current, now, "idle", f"rolled back: {why}; {live}")


def _released(change: Callable[..., Release], project: Project, *args: Any, **kwargs: Any) -> str:
    """Make a release and say how far it got: live on every running worker, or which lag
    (the loop goes on either way: the change is written and the workers follow it)."""
    from .errors import NotLive

    try:
        return change(project, *args, **kwargs).message
    except NotLive as exc:
        return exc.message


def _incremental(
    project: Project, champion: str, rows: pd.DataFrame, holdout: pd.DataFrame, epochs: int
) -> tuple[str, str]:
    """Teach a copy of the champion the labelled rows and register it as the challenger
    (a pipeline's fitted preprocessing is kept; only its last step learns): ``partial_fit``
    passes, or more boosting rounds on top of an XGBoost or LightGBM model's trees."""
    import copy

    from . import registration, registry, release
    from .registry.kinds import load as load_native

    info = registry.get_version(project.spec.model, champion, project)
    model = copy.deepcopy(load_native(info.source))
    learner = model.steps[-1][1] if hasattr(model, "steps") else model
    features = _features(rows)
    inputs = model[:-1].transform(rows[features]) if hasattr(model, "steps") else rows[features]
    label_type = type(learner.classes_[0]) if hasattr(learner, "classes_") else float
    how = _learn_more(learner, inputs, rows[TARGET].astype(label_type).to_numpy(), epochs, champion)
    version = registration.register_model(
        model,
        rows[features].head(5),
        held_out=holdout[features],
        held_out_target=holdout[TARGET].astype(label_type),
        reference=rows[features],
        reference_target=rows[TARGET],
        project=project,
        description=f"incremental update of version {champion} on {len(rows)} labelled rows "
        f"({how})",
    )
    release.assign(
        version.version,
        alias="challenger",
        project=project,
        reason=f"retraining loop: {how} of v{champion} on {len(rows)} rows",
    )
    return version.version, how


def _learn_more(learner: Any, inputs: Any, labels: np.ndarray, epochs: int, champion: str) -> str:
    """Update ``learner`` in place on the rows; how it was done, in words."""
    library = type(learner).__module__.split(".")[0]
    if library == "xgboost":
        learner.fit(inputs, labels, xgb_model=learner.get_booster())
        return f"{learner.n_estimators} more XGBoost rounds"
    if library == "lightgbm":
        learner.fit(inputs, labels, init_model=learner.booster_)
        return f"{learner.n_estimators} more LightGBM rounds"
    if not hasattr(learner, "partial_fit"):
        raise InvalidRequest(
            f"monitoring.retrain.strategy: version {champion}'s "
            f"{type(learner).__name__} cannot learn incrementally (no "
            "partial_fit, not XGBoost or LightGBM); use retrain"
        )
    order = np.random.default_rng(0)
    for _ in range(epochs):  # shuffled passes, seeded: the same rows give the same model
        shuffled = order.permutation(len(labels))
        rows = inputs.iloc[shuffled] if hasattr(inputs, "iloc") else inputs[shuffled]
        learner.partial_fit(rows, labels[shuffled])
    return f"{epochs} partial_fit passes"


def _gate_said(project: Project, challenger: str) -> str:
    """The challenger's quality gate, when it did not pass: said in the loop's step. The gate
    judges on the pipeline's evaluation rows by its own metrics; the loop decides on the
    recent rows by the policy's metric."""
    from . import registry

    gate = registry.get_version(project.spec.model, challenger, project).gate
    if gate.get("status") in (None, "passed"):
        return ""
    against = f" against v{gate['against']}" if gate.get("against") else ""
    return f" (its quality gate {gate['status']}{against}; the recent rows decide)"


def _as_answered(labelled: pd.DataFrame) -> pd.DataFrame:
    """The labels in the type of the champion's answers: the log reads a label column with
    gaps as floats, and a model retrained on 0.0 and 1.0 would answer floats from then on."""
    answers, labels = labelled[PREDICTION], labelled[TARGET]
    whole = labels.dtype.kind == "f" and bool((labels % 1 == 0).all())
    if answers.dtype.kind in "iu" and whole:
        return labelled.assign(**{TARGET: labels.astype(answers.dtype)})
    return labelled


def _features(frame: pd.DataFrame) -> list[str]:
    """The input columns of a window's frame (not its answers, labels or request meta)."""
    return [c for c in frame.columns if c not in (PREDICTION, TARGET, SCORE, *META_COLUMNS)]


def _offline(
    project: Project, policy: RetrainPolicy, challenger: str, champion: str, holdout: pd.DataFrame
) -> tuple[float, float]:
    """The metric of both versions on the held-out recent rows (predicted natively)."""
    from .serving.runtime import load

    features = holdout[_features(holdout)]
    scores = []
    for version in (challenger, champion):
        prediction = load(project, version).predict_frame(features)
        frame = holdout.assign(**{PREDICTION: prediction.values})
        if prediction.probabilities is not None:
            frame[SCORE] = prediction.probabilities[:, -1]
        scores.append(_metric(policy, frame))
    return scores[0], scores[1]


def _metric(policy: RetrainPolicy, labelled: pd.DataFrame) -> float:
    """The policy's metric on labelled rows (higher is better: errors are negated). ROC AUC
    reads the positive class's score, which is the last of the sorted classes."""
    task = "regression" if policy.metric in ("mae", "rmse") else "classification"
    labels, predicted = labelled[TARGET].tolist(), labelled[PREDICTION].tolist()
    score = labelled[SCORE] if SCORE in labelled and labelled[SCORE].notna().all() else None
    positive = max(set(labels) | set(predicted)) if task == "classification" else None
    value = measured(task, labels, predicted, score, positive).get(policy.metric)
    if value is None:
        raise InvalidRequest(
            f"monitoring.retrain.metric: {policy.metric!r} cannot be measured "
            "on these rows (roc_auc needs two classes and the model's scores)"
        )
    return -value if policy.metric in ("mae", "rmse") else value


def _export(project: Project, rows: pd.DataFrame, target: str) -> str:
    """The rows as a parquet file named by its content, inside the project (relative path)."""
    features = rows[[*_features(rows), TARGET]].rename(columns={TARGET: target})
    folder = project.root / "data" / "recent"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{os.getpid()}.parquet"
    features.to_parquet(temporary, index=False)
    digest = hashlib.sha256(temporary.read_bytes()).hexdigest()[:12]
    path = folder / f"recent-{digest}.parquet"
    os.replace(temporary, path)
    return path.relative_to(project.root).as_posix()


def _overrides(policy: RetrainPolicy, recent: str) -> dict[str, dict[str, Any]]:
    recent_param = policy.recent_param
    assert recent_param is not None  # RetrainPolicy requires it of the retrain strategy
    overrides: dict[str, dict[str, Any]] = {}
    for key, value in {**policy.params, recent_param: recent}.items():
        stage, _, param = key.partition(".")
        overrides.setdefault(stage, {})[param] = value
    return overrides


def _step(current: LoopState, now: float, new_state: str, message: str) -> LoopState:
    history = [*current.get("history", []), {"ts": now, "state": new_state, "message": message}]
    kept: LoopState = {k: current[k] for k in ("retrained_at", "started_at") if k in current}
    return {**kept, "state": new_state, "history": history[-KEPT:]}
