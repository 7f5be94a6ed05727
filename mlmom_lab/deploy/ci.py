"""CI/CD pipelines for a project: GitLab CI, GitHub Actions and Jenkins.

Each runs the pipeline and the quality gate on every change (JUnit report, metrics and model
card kept), and releases on the default branch by hand: a canary first (the first version
becomes the champion), then promoted from a quiet monitoring check or taken out on an alert. Written at the root of the project's git repository (where
each CI looks for its file), the project's folder given relative to it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidRequest

if TYPE_CHECKING:
    from ..project import Project

TEMPLATES = Path(__file__).with_name("ci")
KINDS = {
    "gitlab": ("gitlab-ci.yml.j2", ".gitlab-ci.yml"),
    "github": ("github.yml.j2", ".github/workflows/mlmom.yml"),
    "jenkins": ("Jenkinsfile.j2", "Jenkinsfile"),
}


def write(project: Project, kind: str, *, force: bool = False, branch: str = "main") -> Path:
    """Write the ``kind`` pipeline for ``project``; its path. An existing file is kept
    unless ``force``."""
    if kind not in KINDS:
        raise InvalidRequest(f"unknown CI kind {kind!r} (kinds: {', '.join(KINDS)})")
    template, name = KINDS[kind]
    root = repository_root(project.root)
    target = root / name
    if target.exists() and not force:
        raise InvalidRequest(f"{target} already exists: not overwriting it (--force does)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(project, template, root, branch))
    return target


def render(project: Project, template: str, root: Path, branch: str = "main") -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template(template).render(
        project=project.root.relative_to(root).as_posix() or ".",
        run_args=run_args(project),
        branch=branch,
    )


def run_args(project: Project) -> str:
    """What CI adds to ``mlmom run``: a register stage that would promote the champion by
    itself leaves that to the release jobs."""
    register = project.spec.stages.get("register")
    if register is not None and "auto_champion" in register.params:
        return "-p register.auto_champion=false"
    return ""


def repository_root(folder: Path) -> Path:
    """The git repository holding ``folder``, or ``folder`` when it is in none."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return folder
    return Path(found).resolve() if found else folder
