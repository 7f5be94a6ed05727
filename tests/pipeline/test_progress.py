"""A running stage's progress: how many of its notebook's code cells have executed, read from
the output notebook papermill writes, and reported to the run's reporter as it goes."""

import json

from mlmom_lab.pipeline import run_pipeline
from mlmom_lab.pipeline.progress import CellProgress, cell_counts
from mlmom_lab.pipeline.results import Silent
from mlmom_lab.pipeline.status import Reason, summarize
from mlmom_lab.project import load_project

from ..helpers import notebook, spec


class Recorder(Silent):
    def __init__(self):
        self.seen: list[tuple[str, int, int]] = []

    def cells(self, stage, done, total):
        self.seen.append((stage, done, total))


def papermill_notebook(path, statuses):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# notes"}] + [
        {"cell_type": "code", "metadata": {"papermill": {"status": s}}, "source": ""}
        for s in statuses
    ]
    path.write_text(json.dumps({"cells": cells}))


def test_cell_counts_read_papermills_status_of_code_cells(tmp_path):
    nb = tmp_path / "out.ipynb"
    papermill_notebook(nb, ["completed", "completed", "running", "pending"])
    assert cell_counts(nb) == (2, 4)
    nb.write_text('{"cells": [{"cell_ty')  # caught in the middle of a save
    assert cell_counts(nb) is None
    assert cell_counts(tmp_path / "not-yet.ipynb") is None


def test_progress_is_reported_only_when_it_changes(tmp_path):
    recorder, nb = Recorder(), tmp_path / "train.ipynb"
    progress = CellProgress(recorder)
    progress.poll({"train": nb})  # not written yet: nothing
    papermill_notebook(nb, ["completed", "pending"])
    progress.poll({"train": nb})
    progress.poll({"train": nb})  # unchanged file: not read again
    papermill_notebook(nb, ["completed", "completed"])
    import os

    os.utime(nb, ns=(0, nb.stat().st_mtime_ns + 1_000_000))  # a save within the clock's tick
    progress.poll({"train": nb})
    assert recorder.seen == [("train", 1, 2), ("train", 2, 2)]


def test_a_real_run_reports_its_cells_as_they_execute(tmp_path):
    notebook(
        tmp_path / "slow.ipynb",
        "pause = 0.6",
        *["import time\ntime.sleep(pause)"] * 4,
    )
    spec(tmp_path, {"slow": {"notebook": "slow.ipynb", "params": {"pause": 0.6}}})
    recorder = Recorder()
    assert run_pipeline(load_project(tmp_path), reporter=recorder).ok
    done = [d for _, d, _ in recorder.seen]
    assert {total for _, _, total in recorder.seen} == {6}  # parameters, injected, 4 cells
    assert done == sorted(done) and len(set(done)) >= 3, recorder.seen  # seen moving
    assert done[-1] >= 5


def test_the_summary_counts_each_kind_of_change():
    why = [
        Reason("param", "parameter a changed: 1 -> 2"),
        Reason("param", "parameter b changed: 1 -> 2"),
        Reason("env", "environment changed (...)", 12),
        Reason("upstream", "upstream stage 'x' is stale"),
        Reason("kernel", "kernel changed: a -> b"),
    ]
    assert summarize(why) == "2 parameters changed · 12 packages changed · upstream stale · +1"
    assert summarize([Reason("never", "never run")]) == "never run"
    assert summarize([]) == ""
