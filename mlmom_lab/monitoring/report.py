"""Evidently's own report of a window against the version's reference, kept with the version.

The reference side is rebuilt from the stored statistics: each column with exactly the
reference's values (numeric) or value counts (the rest), shuffled with a fixed seed; the
columns' marginals are the reference's, their joint distribution is not kept (Evidently's
drift report reads the marginals). The HTML and JSON go to a folder and to MLflow, as
artifacts of the run that registered the version (``monitoring/reports/<time>/``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFound
from .reference import PREDICTION, SCORE, TARGET, ReferenceStats
from .windows import Window, reference_for

if TYPE_CHECKING:
    import pandas as pd

    from ..project import Project


@dataclass
class ReportFiles:
    html: Path
    json: Path
    mlflow_path: str


def reference_frame(stats: ReferenceStats, columns: list[str], seed: int = 0) -> pd.DataFrame:
    """A DataFrame with each column's reference values, NaN-padded to one length."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rebuilt: dict[str, pd.Series] = {}
    for name in columns:
        column = stats[name]
        values: np.ndarray
        if column.values is not None:
            values = (
                column.values.astype(float) if column.dtype.startswith("float") else column.values
            )
        else:
            counts = column.value_counts()
            values = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
        rebuilt[name] = pd.Series(rng.permutation(values))
    return pd.DataFrame(rebuilt)  # shorter columns end in NaN


def write_report(project: Project, window: Window, folder: Path) -> ReportFiles:
    """Run Evidently's DataDriftPreset on the window and the reference; save and log it."""
    os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
    from evidently import Report
    from evidently.presets import DataDriftPreset

    stats = reference_for(project, window.version)
    columns = [c for c in stats.columns if c not in (TARGET, SCORE) and c in window.frame]
    reference = reference_frame(stats, columns).rename(columns={PREDICTION: "prediction"})
    current = window.frame[columns].rename(columns={PREDICTION: "prediction"})
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"drift-{window.model}-v{window.version}-{stamp}.html"
    json_path = html.with_suffix(".json")
    snapshot.save_html(str(html))
    json_path.write_text(snapshot.json())
    return ReportFiles(html, json_path, _log(project, window.version, [html, json_path], stamp))


def _log(project: Project, version: str, paths: list[Path], stamp: str) -> str:
    from ..mlflow_clients import client
    from ..registry import get_version

    info = get_version(project.spec.model, version, project)
    if info.run_id is None:  # registered without a run: MLflow has nowhere to keep it
        raise NotFound(f"version {version} has no MLflow run to keep the report with")
    artifact_path = f"monitoring/reports/{stamp}"
    for path in paths:
        client(project).log_artifact(info.run_id, str(path), artifact_path)
    return artifact_path
