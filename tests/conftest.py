import os
import shutil
from pathlib import Path

import pytest

# jupyter_server fixtures (jp_fetch, jp_root_dir...) for the server extension's tests
pytest_plugins = ["pytest_jupyter.jupyter_server"]

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "true")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """The example project copied and run once: a registered champion with real lineage."""
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project

    root = tmp_path_factory.mktemp("example") / "churn"
    shutil.copytree(REPO / "notebooks", root,
                    ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports", "__pycache__"))
    project = load_project(root)
    result = run_pipeline(project)
    assert result.ok, [s.error for s in result.stages]
    return project, result
