"""The stage graph: edges follow from deps and outs, as in DVC.

A stage depends on another when one of its deps is one of the other's outs, or lies inside
(or contains) an out folder. The checks here are the ones that need the whole spec: a
missing notebook, an out claimed twice, a dep nobody produces that is not on disk, a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Protocol

from .config import STATE_DIR, ProjectSpec
from .errors import SpecError


class Project(Protocol):
    """What the graph needs of a project (:class:`mlmom_lab.project.Project` has it): the
    project sits above the graph, which checks it as it loads."""

    root: Path
    spec: ProjectSpec

    @property
    def spec_path(self) -> Path: ...


def _overlaps(a: str, b: str) -> bool:
    """True when two project paths are the same or one lies inside the other."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def producers(project: Project) -> dict[str, str]:
    """Map every declared out to the stage that writes it."""
    owner: dict[str, str] = {}
    for name, stage in project.spec.stages.items():
        for out in stage.outs:
            for other, other_stage in owner.items():
                if _overlaps(out, other):
                    raise SpecError(
                        f"{project.spec_path}: stages.{name}.outs: {out!r} overlaps "
                        f"{other!r}, an out of stage {other_stage!r}"
                    )
            owner[out] = name
    return owner


def upstream(project: Project) -> dict[str, set[str]]:
    """Map every stage to the stages whose outs it reads."""
    owner = producers(project)
    graph: dict[str, set[str]] = {}
    for name, stage in project.spec.stages.items():
        graph[name] = {owner[out] for dep in stage.deps for out in owner if _overlaps(dep, out)}
        if name in graph[name]:
            own = next(o for d in stage.deps for o in stage.outs if _overlaps(d, o))
            raise SpecError(
                f"{project.spec_path}: stages.{name}.deps: a dep overlaps the "
                f"stage's own out {own!r}"
            )
    return graph


def _check_protected(project: Project) -> None:
    """No out may hold the spec or a notebook: restoring an out replaces it whole."""
    protected = ["mlmom.yaml", *(s.notebook for s in project.spec.stages.values())]
    for name, stage in project.spec.stages.items():
        for out in stage.outs:
            hit = next((p for p in protected if _overlaps(out, p)), None)
            if hit:
                raise SpecError(
                    f"{project.spec_path}: stages.{name}.outs: {out!r} would hold "
                    f"{hit}, which is not a stage's output"
                )


def order(project: Project) -> list[str]:
    """Stages in an order where every stage comes after those it depends on."""
    graph = upstream(project)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1][::-1])
        raise SpecError(f"{project.spec_path}: stages: cycle {cycle}") from None


def source_deps(project: Project, stage: str) -> list[str]:
    """Deps of ``stage`` that no stage produces: the pipeline's inputs (data and code)."""
    owner = producers(project)
    deps = project.spec.stages[stage].deps
    return [d for d in deps if not any(_overlaps(d, out) for out in owner)]


def check_stage_files(project: Project) -> None:
    """Fail on a missing notebook, an unproduced dep missing on disk, or a cycle."""
    _check_protected(project)
    for name in project.spec.stages:
        _check_notebook(project, name)
        for dep in source_deps(project, name):
            if not (project.root / dep).exists():
                raise SpecError(
                    f"{project.spec_path}: stages.{name}.deps: {dep!r} is not an out "
                    f"of any stage and does not exist"
                )
    order(project)


def _check_notebook(project: Project, name: str) -> None:
    """The stage's notebook exists, is a notebook, and can take the stage's parameters."""
    import json

    stage = project.spec.stages[name]
    where = f"{project.spec_path}: stages.{name}.notebook"
    path = project.root / stage.notebook
    if not path.is_file():
        raise SpecError(f"{where}: file not found: {stage.notebook}")
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise SpecError(f"{where}: {stage.notebook} is not a valid notebook") from None
    tagged = any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells)
    if stage.params and not tagged:
        raise SpecError(
            f"{where}: {stage.notebook} has no cell tagged 'parameters' to receive "
            f"the stage's params ({', '.join(stage.params)})"
        )


def descendants(graph: dict[str, set[str]], roots: set[str]) -> set[str]:
    """``roots`` and every stage that depends on them, directly or not."""
    found, frontier = set(roots), set(roots)
    while frontier:
        frontier = {s for s, ups in graph.items() if ups & frontier} - found
        found |= frontier
    return found


def ancestors(graph: dict[str, set[str]], roots: set[str]) -> set[str]:
    """``roots`` and every stage they depend on, directly or not."""
    found, frontier = set(roots), set(roots)
    while frontier:
        frontier = set().union(*(graph[s] for s in frontier)) - found
        found |= frontier
    return found


def select(project: Project, targets: list[str], start: str | None) -> list[str]:
    """Stages to consider, in order: the targets and what they need, or all, from ``start`` on.

    ``targets`` limits the run to those stages and their upstream; ``start`` keeps only
    ``start`` and what depends on it (its upstream is then taken as is).
    """
    stages = project.spec.stages
    for name in [*targets, *([start] if start else [])]:
        if name not in stages:
            raise SpecError(
                f"{project.spec_path}: stages: no stage named {name!r} "
                f"(stages: {', '.join(stages)})"
            )
    graph = upstream(project)
    chosen = ancestors(graph, set(targets)) if targets else set(stages)
    if start:
        chosen &= descendants(graph, {start})
    return [s for s in order(project) if s in chosen]


_NOT_SOURCES = (STATE_DIR, ".git", ".ipynb_checkpoints", "__pycache__")


def sources_only(project: Project) -> Callable[[str, list[str]], list[str]]:
    """A ``shutil.copytree`` ignore that keeps the project's sources: not its state folder,
    git, caches, nor any stage's outs (a copy makes those again, or receives them)."""
    produced = {out for stage in project.spec.stages.values() for out in stage.outs}
    root = project.root.resolve()

    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder).resolve().relative_to(root)
        return [n for n in names if n in _NOT_SOURCES or (here / n).as_posix() in produced]

    return ignore
