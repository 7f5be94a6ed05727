"""Invalid specs fail at load time with one line naming the file and the field."""

from pathlib import Path

import pytest

from mlmom_lab.errors import SpecError
from mlmom_lab.project import load_project

from .helpers import mlmom, notebook, spec


@pytest.fixture
def root(tmp_path: Path) -> Path:
    notebook(tmp_path / "a.ipynb", "x = 1", "pass")
    notebook(tmp_path / "b.ipynb", "y = 2", "pass")
    return tmp_path


def error_of(root: Path) -> str:
    with pytest.raises(SpecError) as info:
        load_project(root)
    message = info.value.message
    assert "\n" not in message
    assert str(root / "mlmom.yaml") in message or "mlmom.yaml" in message
    return message


def test_valid_spec_defaults_to_state_under_dot_mlmom(root):
    spec(root, {"a": {"notebook": "a.ipynb", "outs": ["out.txt"]}})
    project = load_project(root)
    assert project.tracking_uri == f"sqlite:///{root.resolve()}/.mlmom/mlflow.db"
    assert project.artifact_root.startswith("file://") and project.artifact_root.endswith(
        "/.mlmom/artifacts"
    )
    assert project.experiment == "toy"


@pytest.mark.parametrize(
    ("tracking", "root_set", "expected"),
    [
        ("http://mlflow:5000", ".mlmom/artifacts", None),  # the server's own store
        ("https://mlflow", None, None),
        ("http://mlflow:5000", "s3://models/mlflow", "s3://models/mlflow"),
        ("http://mlflow:5000", "/shared/artifacts", "file:///shared/artifacts"),
        ("postgresql+psycopg2://db/mlflow", "s3://b/a", "s3://b/a"),
    ],
)
def test_with_a_tracking_server_artifacts_never_go_to_a_project_folder(
    root, tracking, root_set, expected
):
    stores = {"tracking_uri": tracking, **({"artifact_root": root_set} if root_set else {})}
    spec(root, {"a": {"notebook": "a.ipynb"}}, stores=stores)
    assert load_project(root).artifact_root == expected


def test_unknown_key_is_named(root):
    spec(root, {"a": {"notebook": "a.ipynb", "outz": ["x"]}})
    assert "stages.a.outz: unknown key" in error_of(root)


def test_unknown_top_level_key(root):
    spec(root, {"a": {"notebook": "a.ipynb"}}, colour="blue")
    assert "colour: unknown key" in error_of(root)


def test_missing_notebook(root):
    spec(root, {"a": {"notebook": "nope.ipynb"}})
    assert "stages.a.notebook: file not found: nope.ipynb" in error_of(root)


def test_notebook_that_is_not_a_notebook(root):
    (root / "a.ipynb").write_text("{not json")
    spec(root, {"a": {"notebook": "a.ipynb"}})
    assert "stages.a.notebook: a.ipynb is not a valid notebook" in error_of(root)


def test_params_need_a_parameters_cell(root):
    import nbformat

    nb = nbformat.read(root / "a.ipynb", as_version=4)
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, root / "a.ipynb")
    spec(root, {"a": {"notebook": "a.ipynb", "params": {"x": 2}}})
    assert "a.ipynb has no cell tagged 'parameters' to receive the stage's params (x)" in error_of(
        root
    )


def test_out_claimed_by_two_stages(root):
    spec(
        root,
        {
            "a": {"notebook": "a.ipynb", "outs": ["data"]},
            "b": {"notebook": "b.ipynb", "outs": ["data/x.csv"]},
        },
    )
    message = error_of(root)
    assert "stages.b.outs" in message and "'data'" in message and "stage 'a'" in message


def test_dep_nobody_produces_and_not_on_disk(root):
    spec(root, {"a": {"notebook": "a.ipynb", "deps": ["raw.csv"]}})
    assert "stages.a.deps: 'raw.csv' is not an out of any stage and does not exist" in error_of(
        root
    )


def test_cycle(root):
    spec(
        root,
        {
            "a": {"notebook": "a.ipynb", "deps": ["b.txt"], "outs": ["a.txt"]},
            "b": {"notebook": "b.ipynb", "deps": ["a.txt"], "outs": ["b.txt"]},
        },
    )
    message = error_of(root)
    assert "stages: cycle" in message and "a" in message and "b" in message


def test_path_escaping_the_project(root):
    spec(root, {"a": {"notebook": "a.ipynb", "deps": ["../secret"]}})
    assert "stages.a.deps" in error_of(root)


def test_wrong_type_and_bad_yaml(root):
    spec(root, {"a": {"notebook": "a.ipynb", "params": "n=1"}})
    assert "stages.a.params" in error_of(root)
    (root / "mlmom.yaml").write_text("project: [unclosed\n")
    assert "invalid YAML" in error_of(root)


def test_no_project_found(tmp_path):
    with pytest.raises(SpecError, match="no mlmom.yaml"):
        load_project(tmp_path)


def test_cli_prints_one_line_and_exits_non_zero(root):
    spec(root, {"a": {"notebook": "missing.ipynb"}})
    result = mlmom("status", cwd=root)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error:") and "stages.a.notebook" in result.stderr


@pytest.mark.parametrize(
    "stage, message",
    [
        (
            {"notebook": "a.ipynb", "outs": ["."]},
            "stages.a.outs: '.' would include the project itself",
        ),
        (
            {"notebook": "a.ipynb", "outs": ["./"]},
            "stages.a.outs: '.' would include the project itself",
        ),
        (
            {"notebook": "a.ipynb", "outs": [".mlmom/x"]},
            "would include the project itself or its .mlmom/",
        ),
        (
            {"notebook": "a.ipynb", "outs": ["a.ipynb"]},
            "stages.a.outs: 'a.ipynb' would hold a.ipynb",
        ),
        (
            {"notebook": "a.ipynb", "deps": ["data"], "outs": ["data/clean.csv"]},
            "stages.a.deps: a dep overlaps the stage's own out 'data/clean.csv'",
        ),
        ({"notebook": "../a.ipynb"}, "stages.a.notebook: '../a.ipynb' must be a relative path"),
        ({"notebook": "/tmp/a.ipynb"}, "stages.a.notebook: '/tmp/a.ipynb' must be a relative path"),
        (
            {"notebook": "a.ipynb", "params": {"n-iter": 3}},
            "'n-iter' is not a Python variable name",
        ),
        (
            {"notebook": "a.ipynb", "params": {"cutoff": __import__("datetime").date(2024, 1, 1)}},
            "cutoff: datetime.date(2024, 1, 1) is not a string, number",
        ),
    ],
)
def test_dangerous_or_unusable_stages_are_refused(root, stage, message):
    spec(root, {"a": stage})
    assert message in error_of(root)


def test_out_holding_the_spec_is_refused(root):
    (root / "sub").mkdir()
    notebook(root / "sub" / "n.ipynb", "", "pass")
    spec(root, {"a": {"notebook": "a.ipynb", "outs": ["sub"]}, "b": {"notebook": "sub/n.ipynb"}})
    assert "stages.a.outs: 'sub' would hold sub/n.ipynb" in error_of(root)


def test_stage_names_cannot_hold_dots(root):
    spec(root, {"prep.v2": {"notebook": "a.ipynb"}})
    assert "stage name 'prep.v2' must be letters, digits, '_' or '-'" in error_of(root)
