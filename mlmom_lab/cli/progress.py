"""Live progress of a pipeline run on the terminal, drawn by rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

_STYLE = {
    "ran": "green",
    "cached": "cyan",
    "restored": "cyan",
    "failed": "red",
    "skipped": "yellow",
    "running": "bold",
    "waiting": "dim",
}


class RichReporter:
    """One line per stage: a spinner, the stage, its status and the time it has taken."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def start(self, run_id: str, stages: list[str]) -> None:
        """A fresh display per run, so several runs (the demo) each print their own."""
        self.console.print(f"[bold]run {run_id}[/] · {len(stages)} stage(s)")
        self.progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.fields[stage]:<14}"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.tasks = {}
        self.progress.start()
        for stage in stages:
            self.tasks[stage] = self.progress.add_task(
                "[dim]waiting", stage=stage, total=1, start=False
            )

    def update(self, stage: str, status: str, detail: str = "") -> None:
        task = self.tasks[stage]
        assert self.progress is not None, "update before start"
        style = _STYLE.get(status, "")
        shown = detail if detail and status != "failed" else ""  # errors are printed after
        text = f"[{style}]{status}[/]" + (f" [dim]({escape(shown)})[/]" if shown else "")
        self.progress.start_task(task)
        if status == "running":
            self.progress.update(task, description=text)
        else:
            self.progress.update(task, description=text, completed=1)
            self.progress.stop_task(task)

    def cells(self, stage: str, done: int, total: int) -> None:
        assert self.progress is not None, "cells before start"
        text = f"[bold]running[/] [dim](cell {done} of {total})[/]"
        self.progress.update(self.tasks[stage], description=text)

    def finish(self, result) -> None:
        if self.progress is not None:
            self.progress.stop()
