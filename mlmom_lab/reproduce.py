"""Re-run the pipeline behind a model version and check that it gives the same result.

Reads top to bottom: load the version's lineage, verify that today's notebooks and source
data still hash to what it recorded (fail loudly if not), copy the project into a fresh
folder with fresh stores, run the recorded stages with the recorded parameters, compare the
metrics of every stage and of the registered version with the recorded ones.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import dag
from .config import SPEC_FILE
from .errors import InvalidRequest, ReproduceMismatch
from .pipeline.hashing import Hasher, environment_fingerprint, notebook_source_hash
from .pipeline.results import Reporter, RunResult
from .pipeline.runner import run_pipeline
from .project import Project, load_project

if TYPE_CHECKING:
    from .registry.versions import VersionInfo


@dataclass
class MetricCheck:
    scope: str  # a stage name, or "version"
    metric: str
    recorded: float
    reproduced: float | None

    @property
    def diff(self) -> float | None:
        return None if self.reproduced is None else abs(self.reproduced - self.recorded)


@dataclass
class ReproduceResult:
    name: str
    version: str
    workdir: str
    run: RunResult
    checks: list[MetricCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tolerance: float = 0.0

    @property
    def mismatches(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.diff is None or c.diff > self.tolerance]

    @property
    def ok(self) -> bool:
        return self.run.ok and not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "workdir": self.workdir,
            "ok": self.ok,
            "warnings": self.warnings,
            "tolerance": self.tolerance,
            "checks": [{**asdict(c), "diff": c.diff} for c in self.checks],
            "run": self.run.as_dict(),
        }


def reproduce(
    project: Project,
    ref: str,
    *,
    workdir: str | Path | None = None,
    tolerance: float = 0.0,
    reporter: Reporter | None = None,
) -> ReproduceResult:
    """Re-run the pipeline of ``ref`` (``model@alias``, ``model/3`` or ``3``) and compare."""
    from . import registry

    name, version = registry.parse_ref(ref, project.spec.model)
    info = registry.get_version(name, version, project)
    lineage = registry.get_lineage(info, project)
    stages = list(lineage.get("stages", {}))
    if not stages or not lineage.get("pipeline_run_id"):
        raise ReproduceMismatch(
            f"{name} version {info.version} was registered outside a "
            "pipeline: there is no run to reproduce"
        )
    verify_inputs(project, lineage)
    fresh = _fresh_copy(project, _workdir(project, workdir))
    overrides = {s: lineage["stages"][s]["params"] for s in stages}
    run = run_pipeline(fresh, stages, force=True, overrides=overrides, reporter=reporter)
    result = ReproduceResult(
        name, info.version, str(fresh.root), run, tolerance=tolerance, warnings=_warnings(lineage)
    )
    if run.ok:
        result.checks = _compare(project, fresh, lineage, info, run)
    return result


def verify_inputs(project: Project, lineage: dict[str, Any]) -> None:
    """Raise :class:`ReproduceMismatch` when a notebook or source file no longer matches."""
    hasher = Hasher(project.root)
    problems: list[str] = []
    changed_data: dict[str, list[str]] = {}
    for stage, entry in lineage["stages"].items():
        if stage not in project.spec.stages:
            problems.append(f"stage {stage!r} no longer exists in {SPEC_FILE}")
            continue
        path = project.root / entry["notebook"]
        if not path.is_file() or notebook_source_hash(path) != entry["notebook_sha256"]:
            problems.append(f"notebook {entry['notebook']} (stage {stage!r}) changed")
        for dep in dag.source_deps(project, stage):
            recorded = entry["deps"].get(dep)
            if recorded is not None and hasher.path(dep) != recorded:
                changed_data.setdefault(dep, []).append(stage)
    problems += [
        f"data {dep} (read by {', '.join(map(repr, stages))}) changed"
        for dep, stages in changed_data.items()
    ]
    if problems:
        raise ReproduceMismatch(
            "cannot reproduce: " + "; ".join(problems) + " since the version was registered"
        )


def _workdir(project: Project, workdir: str | Path | None) -> Path:
    """A folder to re-run in: outside the project, with no copy of it there yet."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="mlmom-reproduce-"))
    folder = Path(workdir).resolve()
    if folder == project.root or project.root in folder.parents:
        raise InvalidRequest(
            f"--workdir {workdir} lies inside the project: choose a folder outside it"
        )
    if (folder / project.root.name).exists():
        raise InvalidRequest(
            f"{folder / project.root.name} already exists: choose another --workdir or remove it"
        )
    return folder


def _fresh_copy(project: Project, workdir: Path) -> Project:
    """Copy the project without its state and outs, with default (local) stores."""
    import yaml

    root = project.root
    target = workdir / root.name
    shutil.copytree(root, target, ignore=dag.sources_only(project))
    raw = yaml.safe_load((root / SPEC_FILE).read_text())
    raw.pop("stores", None)
    (target / SPEC_FILE).write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_project(target)


def _warnings(lineage: dict[str, Any]) -> list[str]:
    env = environment_fingerprint()
    recorded = lineage.get("environment", {})
    if recorded.get("hash") and recorded["hash"] != env["hash"]:
        return [
            (
                f"the Python environment differs from the recorded one (python "
                f"{recorded.get('python')} with {recorded.get('packages')} packages, now "
                f"{env['python']} with {env['packages']})"
            )
        ]
    return []


def _compare(
    project: Project, fresh: Project, lineage: dict[str, Any], info: VersionInfo, run: RunResult
) -> list[MetricCheck]:
    from .mlflow_clients import client

    old, new = client(project), client(fresh)
    checks = []
    for stage, entry in lineage["stages"].items():
        if not entry.get("mlflow_run_id"):
            continue
        recorded = old.get_run(entry["mlflow_run_id"]).data.metrics
        fresh_run = run.stage(stage).mlflow_run_id
        # a stage the fresh run kept no MLflow run of reproduced none of its metrics
        reproduced = {} if fresh_run is None else new.get_run(fresh_run).data.metrics
        checks += [MetricCheck(stage, k, v, reproduced.get(k)) for k, v in sorted(recorded.items())]
    checks += _version_checks(fresh, info)
    return checks


def _version_checks(fresh: Project, info: VersionInfo) -> list[MetricCheck]:
    from . import registry

    versions = registry.list_versions(info.name, fresh)
    latest = versions[0].metrics if versions else {}
    return [MetricCheck("version", k, v, latest.get(k)) for k, v in sorted(info.metrics.items())]
