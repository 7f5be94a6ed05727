"""The retraining loop: alert -> retrain -> challenger -> canary -> promote or roll back.

A small state machine kept in ``.mlmom/monitoring/loop.json`` (with every step in its
history), advanced by each monitoring check:

- **idle**: an alert named in ``monitoring.retrain.on`` fired -> export the recent labelled
  rows from the prediction log (the newest ``holdout`` share kept apart), run the pipeline
  with ``recent_param`` pointing at them (papermill: cached, logged, reproducible like any
  run), and compare the new version (``challenger``) with the champion on the kept-apart rows;
  if it is not worse, release it as a canary at ``canary_weight``.
- **canary**: once ``min_samples`` canary rows are labelled, compare the canary's measured
  metric with the champion's over the same period: promote when it wins by ``margin``,
  otherwise roll back (the canary is removed; the champion never moved).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from ..errors import InvalidRequest
from .performance import measured
from .reference import PREDICTION, TARGET

FILE = "loop.json"


def state(project) -> dict[str, Any]:
    try:
        return json.loads((project.state_dir / "monitoring" / FILE).read_text())
    except (OSError, ValueError):
        return {"state": "idle", "history": []}


def advance(project, fired: list, now: float | None = None) -> dict[str, Any]:
    """One step of the loop after a check that fired ``fired``; returns the new state."""
    policy = project.spec.monitoring.retrain
    current = state(project)
    if policy is None:
        return current
    now = time.time() if now is None else now
    if current["state"] == "idle" and any(a.rule in policy.on for a in fired):
        return _save(project, _retrain(project, policy, current, fired, now))
    if current["state"] == "canary":
        return _save(project, _judge_canary(project, policy, current, now))
    return current


def _retrain(project, policy, current: dict, fired: list, now: float) -> dict:
    from .. import registry
    from ..pipeline import run_pipeline
    from ..serving import deployment
    from .windows import load_window

    champion = deployment.current(project).champion
    window = load_window(project, version=champion)
    labelled = window.frame[window.frame[TARGET].notna()].tail(policy.recent_rows)
    if len(labelled) < 10:
        return _step(current, now, "idle", f"not retrained: only {len(labelled)} labelled rows")
    cut = int(len(labelled) * (1 - policy.holdout))
    train_rows, holdout = labelled.iloc[:cut], labelled.iloc[cut:]
    recent = _export(project, train_rows, policy.target_column)
    overrides = _overrides(policy, recent)
    result = run_pipeline(project, overrides=overrides)
    if not result.ok:
        failed = next(s for s in result.stages if s.error)
        return _step(current, now, "idle", f"retraining failed in {failed.name}: {failed.error}")
    challenger = registry.get_version(project.spec.model, "challenger", project).version
    ours, theirs = _offline(project, policy, challenger, champion, holdout)
    why = (f"alert {', '.join(a.rule for a in fired)}: retrained on {len(train_rows)} recent "
           f"rows as version {challenger}; on {len(holdout)} held-out recent rows "
           f"{policy.metric} {ours:.3f} vs champion v{champion}'s {theirs:.3f}")
    if challenger == champion or ours < theirs:
        return _step(current, now, "idle", why + ": not released")
    deployment.canary(project, challenger, policy.canary_weight,
                      reason=f"retraining loop: canary of v{challenger}")
    return {**_step(current, now, "canary", why + f": canary at {policy.canary_weight:.0%}"),
            "canary": challenger, "champion": champion, "since": now}


def _judge_canary(project, policy, current: dict, now: float) -> dict:
    from ..serving import deployment
    from .windows import load_window

    scores = {}
    for route, version in (("canary", current["canary"]), ("champion", current["champion"])):
        frame = load_window(project, version=version, route=route, since=current["since"]).frame
        labelled = frame[frame[TARGET].notna()]
        if route == "canary" and len(labelled) < policy.min_samples:
            return current  # keep waiting for labels
        scores[route] = _metric(policy, labelled) if len(labelled) else float("-inf")
    wins = scores["canary"] >= scores["champion"] + policy.margin
    why = (f"canary v{current['canary']} {policy.metric} {scores['canary']:.3f} vs champion "
           f"v{current['champion']} {scores['champion']:.3f} (margin {policy.margin})")
    if wins:
        deployment.promote(project, reason=f"retraining loop: {why}")
        return _step(current, now, "idle", f"promoted: {why}")
    deployment.clear(project, reason=f"retraining loop: rolled back, {why}")
    return _step(current, now, "idle", f"rolled back: {why}")


def _offline(project, policy, challenger: str, champion: str, holdout) -> tuple[float, float]:
    """The metric of both versions on the held-out recent rows (predicted natively)."""
    from ..serving.runtime import load

    features = [c for c in holdout.columns if c not in
                (PREDICTION, TARGET, "request_id", "row", "ts", "route", "__score__")]
    scores = []
    for version in (challenger, champion):
        runtime = load(project, version)
        raw = {c: holdout[c].astype(object).where(holdout[c].notna(), None).tolist()
               for c in features if c in runtime.schema.names}
        prediction = runtime.predict(runtime.schema.validate(raw))
        frame = holdout.assign(**{PREDICTION: prediction.values})
        scores.append(_metric(policy, frame))
    return scores[0], scores[1]


def _metric(policy, labelled) -> float:
    task = "regression" if policy.metric in ("mae", "rmse") else "classification"
    values = measured(task, labelled[TARGET].tolist(), labelled[PREDICTION].tolist())
    value = values.get(policy.metric)
    if value is None:
        raise InvalidRequest(f"monitoring.retrain.metric: {policy.metric!r} needs scores; "
                             "use accuracy (or mae, rmse)")
    return -value if policy.metric in ("mae", "rmse") else value


def _export(project, rows, target: str) -> str:
    """The rows as a parquet file named by its content, inside the project (relative path)."""
    features = rows.drop(columns=[c for c in ("request_id", "row", "ts", "route", PREDICTION,
                                              "__score__") if c in rows]).rename(
        columns={TARGET: target})
    folder = project.root / "data" / "recent"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{os.getpid()}.parquet"
    features.to_parquet(temporary, index=False)
    digest = hashlib.sha256(temporary.read_bytes()).hexdigest()[:12]
    path = folder / f"recent-{digest}.parquet"
    os.replace(temporary, path)
    return path.relative_to(project.root).as_posix()


def _overrides(policy, recent: str) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for key, value in {**policy.params, policy.recent_param: recent}.items():
        stage, _, param = key.partition(".")
        overrides.setdefault(stage, {})[param] = value
    return overrides


def _step(current: dict, now: float, new_state: str, message: str) -> dict:
    history = [*current.get("history", []), {"ts": now, "state": new_state, "message": message}]
    return {"state": new_state, "history": history[-200:]}


def _save(project, new: dict) -> dict:
    folder = project.state_dir / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(new, indent=1))
    os.replace(temporary, folder / FILE)
    return new


