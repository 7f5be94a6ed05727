import shutil

import pytest


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"mlmom_lab.server": True}}}


@pytest.fixture
def lab_root(example_run, jp_root_dir):
    """The server's root holding a copy of the example project (registered, with a champion)
    in ``churn/``, and a folder that is not a project."""
    project, _ = example_run
    shutil.copytree(project.root, jp_root_dir / "churn",
                    ignore=shutil.ignore_patterns("predictions.db*", "monitoring"))
    (jp_root_dir / "elsewhere").mkdir()
    return jp_root_dir
