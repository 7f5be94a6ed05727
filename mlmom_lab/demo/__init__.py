"""The demo: the whole lifecycle on the example project, unattended.

It tells a short story through ``say`` (the CLI prints it): run the pipeline, register and
gate a champion, change a parameter and watch the cache skip what did not change, run again
with nothing changed, serve and release versions, watch drift drive a retraining, explain
the result, then point at what to look at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .. import registry
from ..pipeline import pipeline_status, run_pipeline
from ..project import load_project
from ..scaffold import copy_example

Say = Callable[[str], None]  # one line of the story: the CLI prints it


def _check_boosting() -> None:
    """The example's search tries XGBoost next to the forest: say so before anything runs."""
    import importlib.util

    from ..errors import InvalidRequest

    if importlib.util.find_spec("xgboost") is None:
        raise InvalidRequest(
            "the example trains an XGBoost candidate: install the boosting "
            "extra first (pip install 'mlmom-lab[boosting]')"
        )


def run_demo(folder: str | Path, say: Say, reporter=None) -> dict:
    """Run the demo in ``folder`` (new or empty); return a summary of what happened."""
    _check_boosting()
    project = load_project(copy_example(folder))
    say(f"Project {project.spec.project!r} in {project.root}")
    laps = _Laps()
    say("1. Run the pipeline (prepare -> train -> evaluate -> register):")
    first = _run(project, say, reporter)
    _show_versions(project, say)
    laps.done("pipeline")
    say("2. Another training seed (train.seed=14): prepare's inputs are unchanged, so it is")
    say("   cached; the stages after it run again and the quality gate picks the champion.")
    second = _run(project, say, reporter, overrides={"train": {"seed": 14}})
    _show_versions(project, say)
    _show_gate(project, say)
    laps.done("new seed")
    say("3. Back to step 1's parameters: no stage runs; changed outs are restored from the")
    say("   content-addressed cache, unchanged ones are simply cached.")
    began = time.perf_counter()
    third = _run(project, say, reporter)
    say(
        f"   {sum(s.status in ('cached', 'restored') for s in third.stages)} of "
        f"{len(third.stages)} stages cached or restored in {time.perf_counter() - began:.2f}s"
    )
    _show_status(project, say)
    laps.done("cached")
    _show_history(project, say)
    laps.done("history")
    from .serving import serve_chapter

    served = serve_chapter(project, say)
    _show_history(project, say, since=4)
    laps.done("serving")
    from .monitoring import monitor_chapter

    monitored = monitor_chapter(project, say)
    laps.done("monitoring")
    from .explain import explain_chapter

    explained = explain_chapter(project, say)
    laps.done("explanations")
    _where_to_look(project, first.run_id, say)
    say(laps.summary())
    return {
        "project": str(project.root),
        "runs": [first.run_id, second.run_id, third.run_id],
        "served": served,
        "monitored": monitored,
        "explained": explained,
        "seconds": laps.seconds,
        "ok": first.ok and second.ok and third.ok,
    }


class _Laps:
    """How long each chapter took, for the last line of the story."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, chapter: str) -> None:
        now = time.perf_counter()
        self.seconds[chapter] = round(now - self._last, 1)
        self._last = now

    def summary(self) -> str:
        laps = " · ".join(
            f"{i}. {name} {s:.1f}s" for i, (name, s) in enumerate(self.seconds.items(), 1)
        )
        return f"Chapters: {laps}; {sum(self.seconds.values()):.0f}s in all"


def _run(project, say: Say, reporter, overrides: dict | None = None):
    result = run_pipeline(project, overrides=overrides or {}, reporter=reporter)
    if not result.ok:
        failed = next(s for s in result.stages if s.status == "failed")
        raise SystemExit(f"demo stopped: {failed.error}")
    if reporter is None:  # the live progress has shown this already
        for stage in result.stages:
            say(f"   {stage.stage:<9} {stage.status:<8} {stage.seconds:5.1f}s")
    return result


def _show_versions(project, say: Say) -> None:
    for v in registry.list_versions(project=project)[:3]:
        aliases = ",".join(v.aliases) or "-"
        say(
            f"   version {v.version:<3} {aliases:<18} roc_auc {v.metrics.get('roc_auc', float('nan')):.4f}"
            f"  onnx {v.onnx.get('status', '-')} (max diff {v.onnx.get('max_diff', '-')})"
        )


def _show_gate(project, say: Say) -> None:
    """What the register stage's quality gate decided (it writes reports/registered.json)."""
    import json

    path = project.root / "reports" / "registered.json"
    if path.is_file():
        gate = json.loads(path.read_text())
        verdict = "promoted to champion" if gate["promoted"] else "kept as challenger"
        say(f"   quality gate: version {gate['version']} {verdict} ({gate['reason']})")


def _show_status(project, say: Say) -> None:
    states = pipeline_status(project)
    say("   status: " + ", ".join(f"{s.stage} {'fresh' if s.fresh else 'stale'}" for s in states))


def _show_history(project, say: Say, since: int = 0) -> None:
    say(
        "   alias history, continued:"
        if since
        else "4. Alias history (kept by mlmom; MLflow keeps none):"
    )
    for e in registry.history(project=project)[since:]:
        say(
            f"   {e.alias:<10} {e.from_version or '-':>3} -> {e.to_version or '-':<3} "
            f"{e.action:<9} by {e.who}: {e.reason}"
        )


def _where_to_look(project, run_id: str, say: Say) -> None:
    say("Where to look:")
    say(f"   executed notebooks: {project.runs_dir}/<run id>/ (first run: {run_id})")
    say(f"   MLflow UI:          mlflow ui --backend-store-uri {project.tracking_uri}")
    say(f"   pipeline status:    mlmom status -C {project.root}")
    say(f"   registry:           mlmom registry list -C {project.root}")
    say(f"   reproduce champion: mlmom reproduce {project.spec.model}@champion -C {project.root}")
    say(f"   serve it:           mlmom serve -C {project.root}   (then mlmom deploy status)")
