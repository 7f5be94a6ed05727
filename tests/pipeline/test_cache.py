"""The content-addressed cache, with real papermill kernels on a two-stage project."""

from pathlib import Path

import pytest

from mlmom_lab.pipeline import pipeline_status, run_pipeline
from mlmom_lab.project import load_project

from ..helpers import mlmom, notebook, two_stage_project


def statuses(result) -> dict[str, str]:
    return {s.stage: s.status for s in result.stages}


@pytest.fixture
def project(tmp_path: Path):
    two_stage_project(tmp_path)
    first = run_pipeline(load_project(tmp_path))
    assert statuses(first) == {"make": "ran", "total": "ran"}
    return load_project(tmp_path)


def test_unchanged_pipeline_is_cached_and_outs_intact(project):
    before = (project.root / "total.txt").read_text()
    result = run_pipeline(project)
    assert statuses(result) == {"make": "cached", "total": "cached"}
    assert result.mlflow_run_id is None  # nothing ran: no MLflow run, no kernel
    assert (project.root / "total.txt").read_text() == before == "3.0"
    assert all(s.fresh for s in pipeline_status(project))


def test_parameter_change_reruns_the_stage_and_its_dependents(project):
    result = run_pipeline(project, overrides={"make": {"n": 5}})
    assert statuses(result) == {"make": "ran", "total": "ran"}
    assert (project.root / "total.txt").read_text() == "10.0"


def test_downstream_change_leaves_upstream_cached(project):
    result = run_pipeline(project, overrides={"total": {"scale": 2.0}})
    assert statuses(result) == {"make": "cached", "total": "ran"}
    assert (project.root / "total.txt").read_text() == "6.0"


def test_notebook_edit_is_a_miss_but_output_equal_stops_there(project):
    """An edit that changes the source re-runs the stage; identical outs keep dependents cached."""
    nb = project.root / "make.ipynb"
    notebook(
        nb,
        "n = 3",
        "from pathlib import Path  # same result, different source\nPath('data').mkdir(exist_ok=True)\n"
        "Path('data/numbers.txt').write_text('\\n'.join(map(str, range(n))))",
    )
    assert "notebook make.ipynb changed" in pipeline_status(project)[0].reasons
    assert statuses(run_pipeline(project)) == {"make": "ran", "total": "cached"}


def test_outputs_and_metadata_of_a_notebook_do_not_count(project):
    import nbformat

    nb = nbformat.read(project.root / "make.ipynb", as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="run by hand")]
    nb.cells[1].execution_count = 7
    nb.metadata["widgets"] = {"x": 1}
    nbformat.write(nb, project.root / "make.ipynb")
    assert statuses(run_pipeline(project)) == {"make": "cached", "total": "cached"}


def test_dep_content_change_is_a_miss_touch_is_not(project):
    data = project.root / "data" / "numbers.txt"
    data.touch()  # a new timestamp, the same content
    assert pipeline_status(project)[1].fresh
    data.write_text("10\n20")
    status = pipeline_status(project)[1]
    assert not status.fresh
    assert status.reasons == ["dep data/numbers.txt changed", "upstream stage 'make' is stale"]
    assert status.summary == "data changed · upstream stale"
    assert pipeline_status(project)[0].reasons == [
        "out data differs from the result of these inputs",
        "(a cached result can be restored)",
    ]
    # make's own out was edited by hand: make restores it from the cache, total is then cached
    assert statuses(run_pipeline(project)) == {"make": "restored", "total": "cached"}
    assert data.read_text() == "0\n1\n2"


def test_deleted_outs_are_restored_from_the_cache(project):
    (project.root / "total.txt").unlink()
    assert pipeline_status(project)[1].reasons == [
        "out total.txt is missing",
        "(a cached result can be restored)",
    ]
    assert pipeline_status(project)[1].summary == "output changed · cached result restorable"
    assert statuses(run_pipeline(project)) == {"make": "cached", "total": "restored"}
    assert (project.root / "total.txt").read_text() == "3.0"


def test_reverting_a_parameter_restores_the_earlier_result_without_running(project):
    run_pipeline(project, overrides={"make": {"n": 5}})
    result = run_pipeline(project)
    assert statuses(result) == {"make": "restored", "total": "restored"}
    assert (project.root / "total.txt").read_text() == "3.0"


def test_environment_change_is_a_miss(project, tmp_path_factory):
    """A package appearing in the environment (a real dist-info on the path) invalidates."""
    extra = tmp_path_factory.mktemp("site")
    (extra / "newpkg-1.0.dist-info").mkdir()
    env = {"PYTHONPATH": str(extra)}
    result = mlmom("status", cwd=project.root, env=env)
    assert "stale: environment changed (+newpkg-1.0)" in result.stdout.splitlines()[0]
    assert "upstream stage 'make' is stale" in result.stdout
    # the lab's badge: the packages counted (an upgrade is one package: -old +new)
    (extra / "click-0.1.dist-info").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(extra))
        assert pipeline_status(project)[0].summary == "2 packages changed"
    ran = mlmom("run", "--json", cwd=project.root, env=env, check=True)
    assert '"status": "ran"' in ran.stdout


def test_force_and_from(project):
    assert statuses(run_pipeline(project, force=True)) == {"make": "ran", "total": "ran"}
    assert statuses(run_pipeline(project, start="total")) == {"total": "ran"}
    assert statuses(run_pipeline(project, ["make"])) == {"make": "cached"}


def test_users_notebooks_are_never_modified(project):
    before = (project.root / "make.ipynb").read_bytes()
    run_pipeline(project, overrides={"make": {"n": 4}})
    assert (project.root / "make.ipynb").read_bytes() == before


def test_a_damaged_cache_object_is_never_restored(project):
    run_pipeline(project, overrides={"make": {"n": 5}})
    for obj in (project.cache_dir / "objects").rglob("*"):
        if obj.is_file() and obj.read_text() == "0\n1\n2":
            obj.write_text("GARBAGE")
    result = run_pipeline(project)
    assert statuses(result) == {"make": "ran", "total": "restored"}  # make ran instead
    assert (project.root / "data" / "numbers.txt").read_text() == "0\n1\n2"
    assert (project.root / "total.txt").read_text() == "3.0"


def test_a_newly_declared_out_makes_the_stage_stale(project):
    import yaml

    raw = yaml.safe_load((project.root / "mlmom.yaml").read_text())
    raw["stages"]["total"]["outs"].append("extra.txt")
    (project.root / "mlmom.yaml").write_text(yaml.safe_dump(raw))
    changed = load_project(project.root)
    assert pipeline_status(changed)[1].reasons == ["declared outs changed: extra.txt, total.txt"]
    result = run_pipeline(changed)
    assert result.stage("total").status == "failed"  # the notebook does not write extra.txt
    assert "extra.txt" in result.stage("total").error


def test_damaged_cache_records_count_as_misses(project):
    (project.cache_dir / "stages" / "make" / "latest.json").write_text("{}")
    for record in (project.cache_dir / "stages" / "total").glob("*.json"):
        record.write_text('{"outs": {}}')
    assert [s.reasons for s in pipeline_status(project)][1][0] == "never run"
    assert statuses(run_pipeline(project)) == {"make": "cached", "total": "ran"}
