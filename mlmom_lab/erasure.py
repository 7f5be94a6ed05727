"""Erasing a data subject: a person's rows leave every store that holds them.

``mlmom log erase --where customer_id=123`` matches the column the log keeps (its HMAC when
``serving.log.personal_data`` hashes it: the value asked for is hashed the same way) and
erases, in this order:

1. the prediction log and the labels (one transaction; recorded, without the value, in the
   ``erasures`` table the audit trail reads);
2. the log's Parquet mirror (``.mlmom/mirror``) and the retraining loop's exports of labelled
   rows (``data/recent``): the files holding a matching row are rewritten without it;
3. the stored Evidently drift reports made since the earliest erased row was logged (their
   windows may hold it), in ``.mlmom/reports`` and in MLflow beside their version.

Dashboards read the log itself, so they stop showing the person at once; monitoring goes on
with the remaining rows.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest
from .identity import current_user

if TYPE_CHECKING:
    from .predictions.erasure import Erasure
    from .project import Project


@dataclass
class Erased:
    """What an erasure removed, store by store."""

    log: Erasure
    files: list[str] = field(default_factory=list)  # Parquet files rewritten
    reports: list[str] = field(default_factory=list)  # drift reports deleted

    def as_dict(self) -> dict[str, Any]:
        return {**self.log.__dict__, "files": self.files, "reports": self.reports}


def parse_where(text: str) -> tuple[str, str]:
    """``customer_id=123`` -> (column, value)."""
    column, sep, value = text.partition("=")
    if not sep or not column.strip() or not value:
        raise InvalidRequest(f"--where {text!r}: write COLUMN=VALUE, e.g. customer_id=123")
    return column.strip(), value


def erase(
    project: Project, column: str, value: str, *, why: str, who: str | None = None,
    dry_run: bool = False,
) -> Erased:  # fmt: skip
    """Erase every row whose ``column`` holds ``value`` from every store (see above)."""
    from .predictions import erasure

    if not why.strip():
        raise InvalidRequest("say why (-m WHY): the audit trail keeps the reason, not the value")
    matches = _matcher(project, column, value)
    uri = project.prediction_log_uri
    if not erasure.keeps_column(uri, column):
        raise InvalidRequest(
            f"--where {column}: the prediction log keeps no column {column!r} "
            "(model inputs and serving.log.keep are kept)"
        )
    log, first = erasure.erase(
        uri, column, matches, who=who or current_user(), why=why.strip(), dry_run=dry_run
    )
    done = Erased(log)
    if dry_run or first is None:
        return done
    done.files = _rewrite_parquet(project, column, matches)
    done.reports = _delete_reports(project, first)
    return done


def _matcher(project: Project, column: str, value: str) -> Any:
    """How a stored value is recognised as ``value``: by its HMAC for a hashed column, by
    equality (as text, or as a number) otherwise; a dropped column was never stored."""
    rule = project.spec.serving.log.personal_data.get(column)
    if rule == "drop":
        raise InvalidRequest(
            f"--where {column}: serving.log.personal_data drops {column!r}, so the log never "
            "kept it: nothing to find the person by"
        )
    if rule == "hash":
        from .predictions.log import salt_for

        digest = hmac.new(salt_for(project.state_dir), value.encode(), hashlib.sha256)
        wanted = digest.hexdigest()[:32]
        return lambda stored: stored == wanted
    number = _number(value)
    return lambda stored: str(stored) == value or (number is not None and _number(stored) == number)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rewrite_parquet(project: Project, column: str, matches: Any) -> list[str]:
    """Parquet files of the mirror and of the loop's exports without the matching rows."""
    import pandas as pd

    folders = [project.state_dir / "mirror", project.root / "data" / "recent"]
    rewritten = []
    for path in sorted(p for folder in folders for p in folder.rglob("*.parquet")):
        frame = pd.read_parquet(path)
        if column not in frame:
            continue
        hit = frame[column].map(lambda v: v is not None and matches(v)).astype(bool)
        if not hit.any():
            continue
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        frame[~hit].to_parquet(temporary, index=False)
        os.replace(temporary, path)
        rewritten.append(str(path.relative_to(project.root)))
    return rewritten


def _delete_reports(project: Project, since: float) -> list[str]:
    """Drift reports made since ``since`` (their windows may hold the rows), here and in
    MLflow beside their version."""
    deleted = []
    for path in sorted((project.state_dir / "reports").glob("drift-*")):
        if path.stat().st_mtime >= since:
            path.unlink()
            deleted.append(str(path.relative_to(project.root)))
    return deleted + _delete_logged_reports(project, since)


def _delete_logged_reports(project: Project, since: float) -> list[str]:
    """The copies logged to MLflow (``monitoring/reports/<stamp>`` of a version's run)."""
    import time

    from . import registry
    from .mlflow_clients import client, use_project

    use_project(project)
    tracking = client(project)
    deleted = []
    for info in registry.list_versions(None, project):
        if info.run_id is None:
            continue
        run = tracking.get_run(info.run_id)
        repo = _artifact_repository(run.info.artifact_uri)
        for item in repo.list_artifacts("monitoring/reports"):
            stamp = Path(item.path).name
            try:
                made = time.mktime(time.strptime(stamp, "%Y%m%d-%H%M%S"))
            except ValueError:
                continue
            if made >= since - 1:  # the stamp has whole seconds
                repo.delete_artifacts(item.path)
                deleted.append(f"mlflow run {info.run_id}: {item.path}")
    return deleted


def _artifact_repository(uri: str) -> Any:
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    return get_artifact_repository(uri)
