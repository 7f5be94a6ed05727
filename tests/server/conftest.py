import pytest

from ..helpers import own_copy


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"mlmom_lab.server": True}}}


@pytest.fixture
def lab_root(example_run, jp_root_dir):
    """The server's root holding a copy of the example project (registered, with a champion)
    in ``churn/``, and a folder that is not a project."""
    project, _ = example_run
    own_copy(project, jp_root_dir / "churn")
    (jp_root_dir / "elsewhere").mkdir()
    return jp_root_dir
