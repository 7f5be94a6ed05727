"""The retraining loop's state file, ``.mlmom/monitoring/loop.json``: read and written here, so
that whoever only reads it (the audit trail, the lab) imports nothing heavy.

Its fields: state (idle | approval | canary), history (ts, state, message; the last
:data:`KEPT` steps), retrained_at, started_at; in the approval and canary states also canary
and champion (the versions), and in the canary state since (when it began).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project

FILE = "loop.json"
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
    temporary = folder / f".{FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(new, indent=1))
    os.replace(temporary, folder / FILE)
    return new
