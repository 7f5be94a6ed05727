"""Run a pipeline: choose stages, skip what the cache already holds, execute the rest.

Reads top to bottom like papermill's ``execute_notebook``: select the stages, resolve their
parameters, then for each stage in dependency order decide (cached, restored or run), execute
it on a kernel started ahead of time, check its outs, record it in the cache and MLflow.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import dag
from ..errors import Cancelled, SpecError, StageFailed
from ..identity import current_user
from ..project import Project
from ..store_errors import store_error
from .cache import StageCache, StageKey, stage_key
from .context import StageContexts
from .hashing import Hasher, environment_fingerprint
from .kernels import kill_kernel, launch_kernel, shutdown_kernel
from .lock import project_lock
from .mlflow_runs import RunTracker, in_background
from .params import resolve
from .progress import CellProgress
from .results import Reporter, RunResult, Silent, StageResult, failure_message, new_run_id
from .stage_run import execute_stage, skip_iri_grammar

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

Running = dict[Future[StageResult], str]  # the stages executing now, by their futures


def run_pipeline(
    project: Project,
    targets: list[str] | None = None,
    *,
    force: bool = False,
    start: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    jobs: int = 1,
    reporter: Reporter | None = None,
    run_id: str | None = None,
    cancel: threading.Event | None = None,
    parent_run_id: str | None = None,
    who: str | None = None,
) -> RunResult:
    """Run the project's pipeline (or ``targets`` and what they need, or from ``start`` on).

    ``cancel`` stops it as Ctrl-C does (kernels killed, MLflow runs KILLED, raises
    :class:`~mlmom_lab.errors.Cancelled`); ``parent_run_id``: the MLflow run the stages'
    runs nest under (a Kubeflow pipeline's), else one of the run's own; ``who`` started it
    (recorded as who registered its model; by default :func:`~mlmom_lab.identity.current_user`)."""
    return PipelineRun(
        project,
        targets or [],
        force=force,
        start=start,
        overrides=overrides or {},
        jobs=jobs,
        reporter=reporter or Silent(),
        run_id=run_id,
        cancel=cancel or threading.Event(),
        parent_run_id=parent_run_id,
        who=who or current_user(),
    ).run()


class PipelineRun(StageContexts):
    """The state of one pipeline run while it executes."""

    def __init__(
        self,
        project: Project,
        targets: list[str],
        *,
        force: bool,
        start: str | None,
        overrides: dict[str, dict[str, Any]],
        jobs: int,
        reporter: Reporter,
        run_id: str | None,
        cancel: threading.Event,
        parent_run_id: str | None = None,
        who: str = "",
    ) -> None:
        self.project, self.who = project, who
        self.reporter = reporter
        self.cancel = cancel
        self.jobs = max(1, jobs)
        self.run_id = run_id or new_run_id()
        self.run_dir = project.runs_dir / self.run_id
        self.selected = dag.select(project, targets, start)
        self.params = resolve(project.spec.stages, overrides)
        self.forced = (
            set(self.selected)
            if force
            else (dag.descendants(dag.upstream(project), {start}) if start else set())
        )
        self.graph = dag.upstream(project)
        self.hasher = Hasher(project.root, project.cache_dir / "stat.json")
        self.env = environment_fingerprint()
        self.cache = StageCache(project.cache_dir, project.root)
        self.records: dict[str, dict[str, Any]] = {}
        self.results: dict[str, StageResult] = {}
        self.kernels: dict[str, AsyncKernelManager] = {}  # launched, waiting for their stage
        self.executing: dict[str, AsyncKernelManager] = {}  # kernels of the stages running now
        self.tracker = RunTracker(project, self.run_id, {}, parent=parent_run_id)
        self.progress = CellProgress(reporter)
        self._git: dict[str, Any] | None | Literal[False] = False

    # -- the run, top to bottom ---------------------------------------------------------------
    def run(self) -> RunResult:
        with project_lock(self.project):
            return self._run_locked()

    def _run_locked(self) -> RunResult:
        began = time.perf_counter()
        skip_iri_grammar()
        self.reporter.start(self.run_id, self.selected)
        try:
            self._schedule()
        except BaseException as exc:
            self.tracker.finish(
                ok=False,
                status="KILLED" if isinstance(exc, KeyboardInterrupt | Cancelled) else "FAILED",
            )
            raise
        finally:
            for name in list(self.kernels):
                shutdown_kernel(self.kernels.pop(name))
            self.hasher.save()
        result = RunResult(self.run_id, [self.results[s] for s in self.selected])
        self._log_cached_stages()
        self.tracker.finish(result.ok)
        result.mlflow_run_id = self.tracker.parent_run_id
        result.seconds = time.perf_counter() - began
        self._write_summary(result)
        self.reporter.finish(result)
        return result

    def _schedule(self) -> None:
        pending = list(self.selected)
        running: dict[Future[StageResult], str] = {}
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while pending or running:
                self._stop_if_cancelled(running)
                self._start_ready(pending, running, pool)
                if not running:
                    if pending:  # nothing can start: every remaining stage lost an upstream
                        self._skip_rest(pending)
                    break
                try:
                    # wakes up now and then to see whether someone cancelled the run
                    finished, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self._stop_executing()
                    raise
                for future in finished:
                    self._finish(running.pop(future), future.result())
                self.progress.poll({n: self.run_dir / f"{n}.ipynb" for n in running.values()})

    def _start_ready(self, pending: list[str], running: Running, pool: ThreadPoolExecutor) -> None:
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                self._stop_if_cancelled(running)  # restoring cached stages can take a while
                ups = self.graph[name] & set(self.selected)
                if any(u in self.results and not self.results[u].ok for u in ups):
                    pending.remove(name)
                    failed = next(u for u in ups if u in self.results and not self.results[u].ok)
                    self._finish(name, StageResult(name, "skipped", f"upstream {failed!r} failed"))
                    progressed = True
                elif all(u in self.results for u in ups) and len(running) < self.jobs:
                    pending.remove(name)
                    progressed = True
                    key = stage_key(
                        self.project, name, self.params[name], self.hasher, self.env["hash"]
                    )
                    result = self._from_cache(name, key)
                    if result:
                        self._finish(name, result)
                        if name in self.kernels:  # launched on a guess that it would run
                            shutdown_kernel(self.kernels.pop(name))
                    else:
                        self._launch(name)
                        why = self._why_run(name, key)
                        running[pool.submit(self._execute, name, key, why)] = name
                        self._prelaunch_next(pending, running)

    def _stop_if_cancelled(self, running: Running) -> None:
        """Cancelled: kill the running notebooks, record how their stages ended, stop."""
        if self.cancel.is_set():
            self._stop_executing()
            for future in list(running):
                self._finish(running.pop(future), future.result())
            raise Cancelled(f"pipeline run {self.run_id} was cancelled")

    def _stop_executing(self) -> None:
        """Interrupted: kill the running notebooks' kernels so their stages fail at once
        (each stage's own thread then shuts its kernel's manager down)."""
        for km in list(self.executing.values()):
            kill_kernel(km)

    def _skip_rest(self, pending: list[str]) -> None:
        for name in pending:
            self._finish(name, StageResult(name, "skipped", "an upstream stage failed"))
        pending.clear()

    def _finish(self, name: str, result: StageResult) -> None:
        self.results[name] = result
        detail = result.error or result.reason
        self.reporter.update(name, result.status, detail)

    # -- cache ----------------------------------------------------------------------------------
    def _from_cache(self, name: str, key: StageKey) -> StageResult | None:
        if name in self.forced:
            return None
        record = self.cache.lookup(key)
        if record is None:
            return None
        if self.cache.outs_intact(record, self.hasher):
            status = "cached"
        elif self.cache.restore(record):
            status = "restored"
        else:
            return None
        self.records[name] = record
        return StageResult(
            name,
            status,
            f"unchanged since run {record['run_id']}",
            executed_notebook=record.get("executed_notebook"),
            mlflow_run_id=record.get("mlflow_run_id"),
        )

    def _log_cached_stages(self) -> None:
        """In a run that executed something, cached stages get a child run pointing at theirs."""
        if not self.tracker.started:
            return
        for name, result in self.results.items():
            if result.status in ("cached", "restored"):
                self.tracker.start_stage(name, self.records[name], cached_from=self.records[name])

    # -- kernels --------------------------------------------------------------------------------
    def _launch(self, name: str) -> None:
        if name in self.kernels:
            return
        stage = self.project.spec.stages[name]
        env = {
            "MLMOM_STAGE_CONTEXT": str(self._context_path(name)),
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "agg",
        }
        try:
            self.kernels[name] = launch_kernel(stage.kernel, self.project.root, env)
        except LookupError as exc:  # no such kernel: a mistake in the spec
            raise SpecError(f"{self.project.spec_path}: stages.{name}.kernel: {exc}") from None

    def _prelaunch_next(self, pending: list[str], running: Running) -> None:
        """Boot the kernel of the next stage likely to run while this one executes."""
        in_flight = set(running.values()) | set(self.results)
        for name in pending:
            if self.graph[name] & set(self.selected) <= in_flight:
                if len(self.kernels) <= self.jobs and self._likely_to_run(name):
                    self._launch(name)
                return

    def _likely_to_run(self, name: str) -> bool:
        ups = self.graph[name] & set(self.selected)
        return name in self.forced or any(
            u not in self.results or self.results[u].status == "ran" for u in ups
        )

    # -- one stage ------------------------------------------------------------------------------
    def _execute(self, name: str, key: StageKey, why: str) -> StageResult:
        km = self.executing[name] = self.kernels.pop(name)
        if self.cancel.is_set():  # cancelled before it started: never start it
            self.kernels[name] = self.executing.pop(name)  # shut down with the others
            return StageResult(name, "skipped", "the run was cancelled")
        began = time.perf_counter()
        output = self.run_dir / f"{name}.ipynb"
        self.reporter.update(name, "running", "executing")
        self._write_context(name, key, None)
        # MLflow takes over a second to import: open the stage's run beside the notebook.
        opening = in_background(self._open_run, name, key)
        try:
            self._run_notebook(name, output, km)
            mlflow_run_id = opening.result()
            seconds = time.perf_counter() - began
            # MLflow first: a stage whose run could not be recorded (its artifact store away)
            # is a failed stage, and a failed stage leaves no cache record behind
            self.tracker.end_stage(
                mlflow_run_id, ok=True, track_log=self._track_log(name), notebook=output
            )
            self.records[name] = self.cache.save(
                key,
                self.project.spec.stages[name].outs,
                self.hasher,
                {
                    "run_id": self.run_id,
                    "mlflow_run_id": mlflow_run_id,
                    "seconds": seconds,
                    "executed_notebook": str(output),
                    "finished_at": time.time(),
                },
            )
            self.cache.save_environment(self.env)
        except Exception as exc:  # noqa: BLE001 - any failure is this stage's, never the run's
            return self._failed(name, exc, output, opening, time.perf_counter() - began)
        finally:
            self.executing.pop(name, None)
        return StageResult(
            name,
            "ran",
            why,
            seconds=seconds,
            executed_notebook=str(output),
            mlflow_run_id=mlflow_run_id,
        )

    def _run_notebook(self, name: str, output: Path, km: AsyncKernelManager) -> None:
        stage = self.project.spec.stages[name]
        execute_stage(
            name,
            self.project.root / stage.notebook,
            output,
            self.params[name],
            km=km,
            kernel_name=stage.kernel,
            timeout=stage.timeout,
        )
        self._check_outs(name, output)

    def _failed(
        self, name: str, exc: Exception, output: Path, opening: Future[str], seconds: float
    ) -> StageResult:
        """Record a failed stage: its MLflow run (if it opened) ends FAILED (KILLED when the
        run was cancelled); no cache record."""
        killed = self.cancel.is_set()
        away = store_error(exc, self.project.tracking_uri)
        error = failure_message(name, exc, killed=killed, away=away)
        mlflow_run_id = None
        try:
            mlflow_run_id = opening.result()
            self.tracker.end_stage(
                mlflow_run_id,
                ok=False,
                track_log=self._track_log(name),
                notebook=output,
                status="KILLED" if killed else None,
            )
        except Exception as tracking_error:  # noqa: BLE001 - report the first failure
            if away is None:
                error += f" (and MLflow could not record it: {tracking_error})"
        return StageResult(
            name,
            "failed",
            seconds=seconds,
            executed_notebook=str(output),
            error=error,
            cell=getattr(exc, "cell", None),
            mlflow_run_id=mlflow_run_id,
        )

    def _why_run(self, name: str, key: StageKey) -> str:
        if name in self.forced:
            return "forced"
        from .status import why_stale

        reasons = why_stale(self.project, self.cache, self.hasher, key, self.env)
        return "; ".join(r for r in reasons if not r.startswith("(")) or "inputs changed"

    def _check_outs(self, name: str, output: Path) -> None:
        missing = [
            o for o in self.project.spec.stages[name].outs if not (self.project.root / o).exists()
        ]
        if missing:
            raise StageFailed(
                f"stage {name!r} finished without writing its declared outs: "
                f"{', '.join(missing)} (notebook: {output})",
                stage=name,
                notebook=str(output),
                exception="missing outs",
            )

    def _write_summary(self, result: RunResult) -> None:
        if self.run_dir.is_dir():
            (self.run_dir / "run.json").write_text(json.dumps(result.as_dict(), indent=1))
