"""Which stages are fresh, and why the others are stale (without running anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import dag
from ..project import Project
from .cache import StageCache, StageKey, stage_key
from .executed import notebook_path
from .hashing import Hasher, environment_fingerprint
from .params import resolve


class Reason(NamedTuple):
    """Why a stage is stale: what changed (``kind``), in words, and how many things changed
    (packages of an environment, parameters) for a short summary."""

    kind: str  # never | upstream | notebook | param | dep | outs | kernel | env | out | restorable
    text: str
    changes: int = 1


@dataclass
class StageStatus:
    stage: str
    fresh: bool
    why: list[Reason] = field(default_factory=list)
    last_run: str | None = None
    executed_notebook: str | None = None

    @property
    def reasons(self) -> list[str]:
        return [r.text for r in self.why]

    @property
    def summary(self) -> str:
        """The reasons in a few words, for a badge: "2 parameters changed · 12 packages"."""
        return summarize(self.why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "fresh": self.fresh,
            "reasons": self.reasons,
            "summary": self.summary,
            "last_run": self.last_run,
            "executed_notebook": self.executed_notebook,
        }


# how a badge names each kind of change: (one, many) with the count in the second
_SHORT = {
    "never": ("never run", "never run"),
    "upstream": ("upstream stale", "{n} upstream stages stale"),
    "notebook": ("notebook changed", "notebook changed"),
    "param": ("parameter changed", "{n} parameters changed"),
    "dep": ("data changed", "{n} inputs changed"),
    "outs": ("outputs declared anew", "outputs declared anew"),
    "kernel": ("kernel changed", "kernel changed"),
    "env": ("environment changed", "{n} packages changed"),
    "out": ("output changed", "{n} outputs changed"),
    "restorable": ("cached result restorable", "cached result restorable"),
}


def summarize(why: list[Reason]) -> str:
    """At most three kinds of change, counted, in the order they were found."""
    counts: dict[str, int] = {}
    for reason in why:
        counts[reason.kind] = counts.get(reason.kind, 0) + reason.changes
    words = []
    for kind, n in counts.items():
        one, many = _SHORT[kind]
        words.append(one if n == 1 else many.format(n=n))
    extra = f" · +{len(words) - 3}" if len(words) > 3 else ""
    return " · ".join(words[:3]) + extra


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
            text = f"upstream stage {', '.join(map(repr, stale_ups))} is stale"
            found[name].why.append(Reason("upstream", text, len(stale_ups)))
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
        restorable = Reason("restorable", "(a cached result can be restored)")
        status.why = _out_reasons(record, hasher) + [restorable]
    elif latest is None:
        status.why = [Reason("never", "never run")]
    else:
        status.why = _input_reasons(project, cache, latest, key, env) or _out_reasons(
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
) -> list[Reason]:
    reasons = []
    if latest["notebook"] != key.notebook:
        notebook = project.spec.stages[key.stage].notebook
        reasons.append(Reason("notebook", f"notebook {notebook} changed"))
    for name in sorted(set(latest["params"]) | set(key.params)):
        old, new = latest["params"].get(name, "(unset)"), key.params.get(name, "(unset)")
        if old != new:
            reasons.append(Reason("param", f"parameter {name} changed: {old!r} -> {new!r}"))
    for dep in sorted(set(latest["deps"]) | set(key.deps)):
        old, new = latest["deps"].get(dep), key.deps.get(dep)
        if new is None:
            reasons.append(Reason("dep", f"dep {dep} is missing"))
        elif old != new:
            reasons.append(Reason("dep", f"dep {dep} changed" if old else f"dep {dep} added"))
    if latest.get("outs_declared") != key.outs:
        reasons.append(Reason("outs", f"declared outs changed: {', '.join(key.outs) or 'none'}"))
    if latest["kernel"] != key.kernel:
        reasons.append(Reason("kernel", f"kernel changed: {latest['kernel']} -> {key.kernel}"))
    if latest["env"] != key.env:
        reasons.append(_env_reason(cache, latest["env"], env))
    return reasons


def _env_reason(cache: StageCache, old_hash: str, env: dict[str, Any]) -> Reason:
    """The environment changed: which packages (a few named, all counted) and Python."""
    old = cache.environment(old_hash)
    if old is None:
        return Reason("env", "environment changed")
    removed = sorted(set(old["listing"]) - set(env["listing"]))
    added = sorted(set(env["listing"]) - set(old["listing"]))
    parts = [f"-{p}" for p in removed[:3]] + [f"+{p}" for p in added[:3]]
    if old["python"] != env["python"]:
        parts.insert(0, f"python {old['python']} -> {env['python']}")
    # an upgrade is one package, listed once removed (old version) and once added
    changed = len({_package(p) for p in removed} | {_package(p) for p in added})
    text = f"environment changed ({', '.join(parts)})" if parts else "environment changed"
    return Reason("env", text, max(changed, 1))


def _package(listing: str) -> str:
    """The distribution's name in a listing entry (a dist-info folder's ``name-version``)."""
    return listing.rsplit("-", 1)[0]


def _out_reasons(record: dict[str, Any], hasher: Hasher) -> list[Reason]:
    reasons = []
    for out, digest in record["outs"].items():
        now = hasher.path(out)
        if now is None:
            reasons.append(Reason("out", f"out {out} is missing"))
        elif now != digest:
            reasons.append(Reason("out", f"out {out} differs from the result of these inputs"))
    return reasons
