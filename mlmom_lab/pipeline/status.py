"""Which stages are fresh, and why the others are stale (without running anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import dag
from ..project import Project
from .cache import StageCache, StageKey, stage_key
from .executed import notebook_path
from .hashing import Hasher, environment_fingerprint
from .params import resolve


@dataclass
class StageStatus:
    stage: str
    fresh: bool
    reasons: list[str] = field(default_factory=list)
    last_run: str | None = None
    executed_notebook: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "fresh": self.fresh,
            "reasons": self.reasons,
            "last_run": self.last_run,
            "executed_notebook": self.executed_notebook,
        }


def pipeline_status(
    project: Project, overrides: dict[str, dict[str, Any]] | None = None
) -> list[StageStatus]:
    """Every stage, in order, as fresh or stale with the reasons."""
    hasher = Hasher(project.root, project.cache_dir / "stat.json")
    env = environment_fingerprint()
    cache = StageCache(project.cache_dir, project.root)
    params = resolve(project.spec.stages, overrides or {})
    graph = dag.upstream(project)
    found: dict[str, StageStatus] = {}
    for name in dag.order(project):
        key = stage_key(project, name, params[name], hasher, env["hash"])
        found[name] = _one(project, cache, hasher, key, env)
        stale_ups = sorted(u for u in graph[name] if not found[u].fresh)
        if stale_ups:
            found[name].fresh = False
            found[name].reasons.append(f"upstream stage {', '.join(map(repr, stale_ups))} is stale")
    hasher.save()
    return list(found.values())


def why_stale(
    project: Project, cache: StageCache, hasher: Hasher, key: StageKey, env: dict[str, Any]
) -> list[str]:
    """Why a stage must run (empty when its cached result stands)."""
    return _one(project, cache, hasher, key, env).reasons


def _one(
    project: Project, cache: StageCache, hasher: Hasher, key: StageKey, env: dict[str, Any]
) -> StageStatus:
    latest = cache.latest(key.stage)
    record = cache.lookup(key)
    run = record or latest or {}
    status = StageStatus(
        key.stage,
        fresh=False,
        last_run=run.get("run_id"),
        executed_notebook=_executed_notebook(project, key.stage, run),
    )
    if record and cache.outs_intact(record, hasher):
        status.fresh = True
    elif record:
        status.reasons = _out_reasons(record, hasher) + ["(a cached result can be restored)"]
    elif latest is None:
        status.reasons = ["never run"]
    else:
        status.reasons = _input_reasons(project, cache, latest, key, env) or _out_reasons(
            latest, hasher
        )
    return status


def _executed_notebook(project: Project, stage: str, run: dict[str, Any]) -> str | None:
    """The run's executed notebook in this project's runs folder (records hold the absolute
    path where it was written, which a copied or moved project no longer has)."""
    here = notebook_path(project, str(run.get("run_id")), stage)
    return str(here) if here.exists() else run.get("executed_notebook")


def _input_reasons(
    project: Project,
    cache: StageCache,
    latest: dict[str, Any],
    key: StageKey,
    env: dict[str, Any],
) -> list[str]:
    reasons = []
    if latest["notebook"] != key.notebook:
        reasons.append(f"notebook {project.spec.stages[key.stage].notebook} changed")
    for name in sorted(set(latest["params"]) | set(key.params)):
        old, new = latest["params"].get(name, "(unset)"), key.params.get(name, "(unset)")
        if old != new:
            reasons.append(f"parameter {name} changed: {old!r} -> {new!r}")
    for dep in sorted(set(latest["deps"]) | set(key.deps)):
        old, new = latest["deps"].get(dep), key.deps.get(dep)
        if new is None:
            reasons.append(f"dep {dep} is missing")
        elif old != new:
            reasons.append(f"dep {dep} changed" if old else f"dep {dep} added")
    if latest.get("outs_declared") != key.outs:
        reasons.append(f"declared outs changed: {', '.join(key.outs) or 'none'}")
    if latest["kernel"] != key.kernel:
        reasons.append(f"kernel changed: {latest['kernel']} -> {key.kernel}")
    if latest["env"] != key.env:
        reasons.append(f"environment changed{_env_diff(cache, latest['env'], env)}")
    return reasons


def _env_diff(cache: StageCache, old_hash: str, env: dict[str, Any]) -> str:
    old = cache.environment(old_hash)
    if old is None:
        return ""
    removed = sorted(set(old["listing"]) - set(env["listing"]))
    added = sorted(set(env["listing"]) - set(old["listing"]))
    parts = [f"-{p}" for p in removed[:3]] + [f"+{p}" for p in added[:3]]
    if old["python"] != env["python"]:
        parts.insert(0, f"python {old['python']} -> {env['python']}")
    return f" ({', '.join(parts)})" if parts else ""


def _out_reasons(record: dict[str, Any], hasher: Hasher) -> list[str]:
    reasons = []
    for out, digest in record["outs"].items():
        now = hasher.path(out)
        if now is None:
            reasons.append(f"out {out} is missing")
        elif now != digest:
            reasons.append(f"out {out} differs from the result of these inputs")
    return reasons
