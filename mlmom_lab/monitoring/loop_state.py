"""The retraining loop's state file, ``.mlmom/monitoring/loop.json``: read and written here, so
that whoever only reads it (the audit trail, the lab) imports nothing heavy.

Its fields: state (idle | approval | canary), history (ts, state, message; the last
:data:`KEPT` steps), retrained_at, started_at; in the approval and canary states also canary
and champion (the versions), and in the canary state since (when it began). Every step is
also appended to ``loop-history.jsonl`` beside it, which keeps them all (the audit trail).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project

FILE = "loop.json"
STEPS = "loop-history.jsonl"
KEPT = 200  # steps of history kept in the file
LoopState = dict[str, Any]


def state(project: Project) -> LoopState:
    try:
        loaded: LoopState = json.loads((project.state_dir / "monitoring" / FILE).read_text())
        return loaded
    except (OSError, ValueError):
        return {"state": "idle", "history": []}


def save(project: Project, new: LoopState) -> LoopState:
    folder = project.state_dir / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    _append_steps(folder, state(project).get("history", []), new.get("history", []))
    temporary = folder / f".{FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(new, indent=1))
    os.replace(temporary, folder / FILE)
    return new


def steps(project: Project) -> list[dict[str, Any]]:
    """Every step the loop ever took, oldest first."""
    try:
        lines = (project.state_dir / "monitoring" / STEPS).read_text().splitlines()
    except OSError:
        return list(state(project).get("history", []))  # a loop older than the steps file
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # a torn last line
    return found


def _append_steps(folder: Any, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """The steps of ``new`` after the last of ``old``, one line each (all of them the first
    time, for a loop that ran before this file was kept)."""
    last = old[-1]["ts"] if old and (folder / STEPS).is_file() else float("-inf")
    added = [step for step in new if step.get("ts", 0) > last]
    if added:
        with open(folder / STEPS, "a") as out:
            out.write("".join(json.dumps(step) + "\n" for step in added))


# Where a step leaves the loop, read from the words retraining.py writes: the lab draws the
# loop (alert -> retrain -> offline comparison -> approval -> canary -> promoted or rolled
# back) with the phase each step reached.
_PHASES = (
    ("promoted: ", "promoted"),
    ("rolled back: ", "rolled back"),
    ("not retrained: ", "retrain"),
    ("retraining failed", "retrain"),
    (" rejected by ", "approval"),
)


def phase(step: dict[str, Any]) -> str:
    """The phase a loop step reached: retrain (it stopped there), offline comparison (not
    released), approval, canary, promoted or rolled back."""
    message = str(step.get("message", ""))
    if step.get("state") in ("approval", "canary"):
        return str(step["state"])
    for start, found in _PHASES:
        if start in message:
            return found
    return "offline comparison"  # released nowhere: the challenger did not beat the champion


def view(project: Project, last: int = 20) -> dict[str, Any]:
    """The loop as the lab draws it: its state, the versions in play, its latest steps with
    the phase each reached, newest last."""
    current = state(project)
    return {
        "state": current.get("state", "idle"),
        "canary": current.get("canary"),
        "champion": current.get("champion"),
        "since": current.get("since"),
        "steps": [{**s, "phase": phase(s)} for s in current.get("history", [])[-last:]],
    }
