"""How far a stage's notebook has run, read from the output notebook papermill writes.

Papermill saves the output notebook as each cell starts and completes, with the cell's
``metadata.papermill.status``; reading that file (only when it changed) tells the progress
without a hook into the kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol


class CellsReporter(Protocol):
    def cells(self, stage: str, done: int, total: int) -> None: ...


def cell_counts(notebook: Path) -> tuple[int, int] | None:
    """``(done, total)`` code cells of a notebook papermill is writing; None while it cannot
    be read (not written yet, or caught in the middle of a save)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    code = [c for c in cells if c.get("cell_type") == "code"]
    done = sum(
        1 for c in code if c.get("metadata", {}).get("papermill", {}).get("status") == "completed"
    )
    return done, len(code)


class CellProgress:
    """Reports each running stage's cell counts when they change."""

    def __init__(self, reporter: CellsReporter) -> None:
        self.reporter = reporter
        self._seen: dict[str, tuple[int, tuple[int, int] | None]] = {}  # stage: (mtime, counts)

    def poll(self, outputs: dict[str, Path]) -> None:
        """Look at the output notebook of each stage running now (``{stage: path}``)."""
        for stage, path in outputs.items():
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:  # papermill has not written it yet
                continue
            last_mtime, last = self._seen.get(stage, (-1, None))
            if mtime == last_mtime:
                continue
            counts = cell_counts(path)
            if counts is None:
                continue  # read again once the save is whole
            self._seen[stage] = (mtime, counts)
            if counts != last:
                self.reporter.cells(stage, *counts)
