"""A project: its folder, its validated spec and where its state lives.

:func:`load_project` finds the nearest ``mlmom.yaml``, validates it (:mod:`mlmom_lab.config`
holds the schema) and checks it against the folder: every stage's notebook exists and takes
its parameters, every dep is on disk or made by a stage, and the stages form no cycle.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .config import SPEC_FILE, STATE_DIR, ProjectSpec
from .errors import SpecError


class Project:
    """A loaded, validated project: its folder, its spec and the paths of its state."""

    def __init__(self, root: Path, spec: ProjectSpec) -> None:
        self.root = root.resolve()
        self.spec = spec
        self.state_dir = self.root / STATE_DIR

    @property
    def spec_path(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def runs_dir(self) -> Path:
        return self.state_dir / "runs"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def experiment(self) -> str:
        return self.spec.stores.experiment or self.spec.project

    @property
    def tracking_uri(self) -> str:
        return _resolve_uri(self.spec.stores.tracking_uri, self.root)

    @property
    def registry_uri(self) -> str:
        uri = self.spec.stores.registry_uri
        return _resolve_uri(uri, self.root) if uri else self.tracking_uri

    @property
    def prediction_log_uri(self) -> str:
        return _resolve_uri(self.spec.serving.log.uri, self.root)

    @property
    def remote_tracking(self) -> bool:
        """Whether a tracking server (``http(s)://``, ``databricks``) keeps the runs: then
        nothing of the project may be written to a path only this machine can read."""
        return self.tracking_uri.split(":", 1)[0] in ("http", "https", "databricks")

    @property
    def artifact_root(self) -> str | None:
        """Where a new experiment keeps its artifacts. With a tracking server, a folder of
        the project is not used: that would be one user's disk, and another user's client
        would look for the files on theirs. The server's own store is (``mlflow-artifacts:``,
        proxied), unless a URI or an absolute (shared) path is set."""
        root = self.spec.stores.artifact_root
        if "://" in root:
            return root
        if self.remote_tracking and not Path(root).is_absolute():
            return None
        return (self.root / root).resolve().as_uri()


def _resolve_uri(uri: str, root: Path) -> str:
    """Make ``sqlite:///relative.db`` absolute to the project; leave other URIs alone."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        path = (root / uri[len(prefix) :]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return uri


def find_project_root(start: str | Path = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``mlmom.yaml``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / SPEC_FILE).is_file():
            return folder
    raise SpecError(
        f"no {SPEC_FILE} in {here} or any folder above it (create a project with `mlmom init DIR`)"
    )


def load_project(start: str | Path = ".") -> Project:
    """Load and validate the project at or above ``start``; raise :class:`SpecError` if invalid."""
    root = find_project_root(start)
    spec = parse_spec(root / SPEC_FILE)
    from .dag import check_stage_files

    project = Project(root, spec)
    check_stage_files(project)
    return project


def parse_spec(path: Path) -> ProjectSpec:
    """Parse one spec file; errors name the file and the field."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SpecError(f"{path}:{where} invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping with 'project', 'model' and 'stages'")
    try:
        return ProjectSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(f"{path}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or "(top level)"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{field}: {message}{more}"
