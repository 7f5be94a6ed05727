"""Pages of a long registry on a real MLflow SQLite store: keyset pages on the version
number, both ways, with a total that follows registrations and deletions."""

import pytest

from mlmom_lab.errors import InvalidRequest
from mlmom_lab.mlflow_clients import client
from mlmom_lab.project import load_project
from mlmom_lab.registry.paging import page_versions

from ..helpers import notebook, spec


@pytest.fixture
def project(tmp_path):
    """A project whose model has 23 versions (bare ones: paging reads no artifact)."""
    notebook(tmp_path / "noop.ipynb", "", "pass")
    spec(tmp_path, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(tmp_path)
    mlflow = client(project)
    mlflow.create_registered_model(project.spec.model)
    for n in range(23):
        mlflow.create_model_version(
            project.spec.model,
            str(tmp_path / f"m{n}"),
            tags={"mlmom.metric.accuracy": str(n / 100)},
        )
    mlflow.set_registered_model_alias(project.spec.model, "champion", "7")
    mlflow.set_registered_model_alias(project.spec.model, "challenger", "7")
    return project


def numbers(page):
    return [int(v.version) for v in page.versions]


def test_pages_walk_older_and_back_newer(project):
    first = page_versions(project, limit=10)
    assert (first.total, numbers(first), first.newer, first.older) == (
        23,
        list(range(23, 13, -1)),
        False,
        True,
    )
    second = page_versions(project, before=14, limit=10)
    assert (numbers(second), second.newer, second.older) == (list(range(13, 3, -1)), True, True)
    assert next(v for v in second.versions if v.version == "7").aliases == [
        "challenger",
        "champion",
    ]
    assert second.versions[0].metrics == {"accuracy": 0.12}
    last = page_versions(project, before=4, limit=10)
    assert (numbers(last), last.newer, last.older) == ([3, 2, 1], True, False)
    back = page_versions(project, after=3, limit=10)
    assert (numbers(back), back.newer, back.older) == (list(range(13, 3, -1)), True, True)


def test_the_total_follows_new_and_deleted_versions(project):
    assert page_versions(project).total == 23
    mlflow = client(project)
    mlflow.create_model_version(project.spec.model, "/tmp/m-new")
    assert page_versions(project).total == 24
    mlflow.delete_model_version(project.spec.model, "3")
    page = page_versions(project, before=5, limit=3)
    assert page.total == 23 and numbers(page) == [4, 2, 1]


def test_no_model_yet_is_an_empty_page(tmp_path):
    notebook(tmp_path / "noop.ipynb", "", "pass")
    spec(tmp_path, {"noop": {"notebook": "noop.ipynb"}})
    page = page_versions(load_project(tmp_path))
    assert (page.total, page.versions, page.newer, page.older) == (0, [], False, False)


def test_a_page_is_before_or_after_not_both(project):
    with pytest.raises(InvalidRequest, match="not both"):
        page_versions(project, before=5, after=2)
