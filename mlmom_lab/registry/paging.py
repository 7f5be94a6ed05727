"""Pages of a model's versions for a long registry (the lab's Registry panel).

MLflow's SQL store builds every version with all its tags, ~0.7 ms each here, so listing
1,000 versions to show 50 costs 0.7 s. A page is instead a keyset query on the version
number (``version_number < N``, newest first): any page costs what the first does. The total
is counted once and kept until the registered model's ``last_updated_timestamp`` or newest
version changes (creating and deleting a version both move the timestamp; aliases and tags,
which do not, never change the count).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest
from ..project import Project
from .reading import name_filter
from .reading.client import record_of
from .versions import VersionInfo, client_for, project_of, to_info

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import RegisteredModel

# (registry, model) -> ((last updated, newest version), count)
_COUNTS: dict[tuple[str, str], tuple[tuple[int | None, int], int]] = {}
_LOCK = threading.Lock()


@dataclass
class VersionPage:
    """Versions newest first, with whether newer and older ones exist beyond them."""

    name: str
    total: int
    versions: list[VersionInfo]
    newer: bool
    older: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "total": self.total,
            "newer": self.newer,
            "older": self.older,
            "versions": [v.as_dict() for v in self.versions],
        }


def page_versions(
    project: Project | str | None = None,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
    name: str | None = None,
) -> VersionPage:
    """The newest ``limit`` versions; or those just older than version ``before``; or just
    newer than version ``after``."""
    if before is not None and after is not None:
        raise InvalidRequest("a page is either before or after a version, not both")
    project = project_of(project)
    name = name or project.spec.model
    client = client_for(project)
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise  # a store that is down is not an empty registry
        return VersionPage(name, 0, [], False, False)  # nothing registered yet
    base = name_filter(name)
    if after is None:
        where = base if before is None else f"{base} AND version_number < {int(before)}"
        found = client.search_model_versions(
            where, max_results=limit, order_by=["version_number DESC"]
        )
        versions, newer, older = list(found), before is not None, bool(found.token)
    else:
        found = client.search_model_versions(
            f"{base} AND version_number > {int(after)}",
            max_results=limit,
            order_by=["version_number ASC"],
        )
        versions, newer, older = list(reversed(found)), bool(found.token), True
    aliases = {alias: str(version) for alias, version in (model.aliases or {}).items()}
    # (a name with both quotes is matched by LIKE: see name_filter; a page may then run short)
    infos = [to_info(record_of(mv), aliases) for mv in versions if mv.name == name]
    return VersionPage(name, _count(project, client, model, base), infos, newer, older)


def _count(project: Project, client: MlflowClient, model: RegisteredModel, where: str) -> int:
    newest = max((int(v.version) for v in model.latest_versions or []), default=0)
    stamp = (model.last_updated_timestamp, newest)
    key = (project.registry_uri, model.name)
    with _LOCK:
        cached = _COUNTS.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    found = client.search_model_versions(where, max_results=100_000)
    count = sum(1 for mv in found if mv.name == model.name)
    with _LOCK:
        _COUNTS[key] = (stamp, count)
    return count
