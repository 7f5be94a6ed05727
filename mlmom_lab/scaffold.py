"""New projects: ``mlmom init`` from the template, and the example project for the demo."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .config import SPEC_FILE, STATE_DIR
from .errors import SpecError

TEMPLATE = Path(__file__).parent / "templates" / "project"


def example_dir() -> Path:
    """The example project: shipped in the wheel, or the repository's notebooks/ folder."""
    for candidate in (Path(__file__).parent / "_example", Path(__file__).parents[1] / "notebooks"):
        if (candidate / SPEC_FILE).is_file():
            return candidate
    raise SpecError("the example project is missing from this installation")


def init_project(folder: str | Path, name: str | None = None) -> Path:
    """Create a project in ``folder`` from the template; it runs as is."""
    target = Path(folder).resolve()
    if (target / SPEC_FILE).exists():
        raise SpecError(f"{target / SPEC_FILE} already exists: not overwriting a project")
    name = name or re.sub(r"[^A-Za-z0-9_.-]+", "-", target.name).strip("-.") or "project"
    target.mkdir(parents=True, exist_ok=True)
    for item in TEMPLATE.iterdir():
        if item.suffix == ".ipynb" and not (target / item.name).exists():
            shutil.copyfile(item, target / item.name)
    spec = (TEMPLATE / SPEC_FILE).read_text().format(project=name, model=f"{name}-model")
    (target / SPEC_FILE).write_text(spec)
    _ignore(target / ".gitignore", [f"{STATE_DIR}/", "data/"])
    return target


def _ignore(gitignore: Path, patterns: list[str]) -> None:
    """Add ``patterns`` to a .gitignore, keeping whatever the user already has there."""
    lines = gitignore.read_text().splitlines() if gitignore.is_file() else []
    missing = [p for p in patterns if p not in lines]
    if missing:
        gitignore.write_text("\n".join([*lines, *missing]) + "\n")


def copy_example(folder: str | Path) -> Path:
    """Copy the example project into ``folder``, new or empty: the demo's story starts from
    nothing (versions 1 and 2, a first champion, fresh request ids), so a folder holding
    anything, an earlier demo's project among them, is refused."""
    target = Path(folder).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SpecError(
            f"{folder} is not empty: the demo starts from a new project; "
            "remove it or name a new folder (mlmom demo DIR)"
        )
    shutil.copytree(
        example_dir(),
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(
            STATE_DIR, "data", "models", "reports", "__pycache__", ".ipynb_checkpoints"
        ),
    )
    return target
