"""``mlmom init``: a template project that runs as is, with git lineage on its versions."""

import json
import subprocess
import urllib.request

import pytest

from .helpers import mlmom


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "PATH": "/usr/bin:/bin",
        },
    )


def test_init_scaffolds_a_project_that_runs_and_records_git(tmp_path):
    folder = tmp_path / "my project"
    out = mlmom("init", str(folder), cwd=tmp_path, check=True).stdout
    assert "mlmom.yaml" in out
    assert "project: my-project" in (folder / "mlmom.yaml").read_text()
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    git("commit", "-qm", "start", cwd=folder)
    mlmom("run", cwd=folder, check=True)
    info = json.loads(mlmom("registry", "show", "champion", cwd=folder, check=True).stdout)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert info["lineage"]["git"] == {"commit": head, "branch": "main", "dirty": False}
    assert info["aliases"] == ["champion"]

    # an uncommitted edit of a tracked file marks the next version dirty
    nb = folder / "train.ipynb"
    nb.write_text(nb.read_text().replace("C = 1.0", "C = 0.5"))
    mlmom("run", cwd=folder, check=True)
    latest = json.loads(mlmom("registry", "show", "2", cwd=folder, check=True).stdout)
    assert latest["lineage"]["git"]["dirty"] is True
    assert latest["lineage"]["git"]["commit"] == head


def test_init_refuses_to_overwrite_a_project(tmp_path):
    mlmom("init", str(tmp_path / "p"), cwd=tmp_path, check=True)
    again = mlmom("init", str(tmp_path / "p"), cwd=tmp_path)
    assert again.returncode == 1 and "already exists: not overwriting" in again.stderr


def test_the_demo_refuses_a_folder_that_holds_anything(tmp_path):
    """Its story starts from a new project: run again into the same folder, it would find an
    earlier champion and send request ids the log already holds. One line, nothing touched."""
    earlier = tmp_path / "mlmom-demo"
    mlmom("init", str(earlier), cwd=tmp_path, check=True)  # a project, as a demo leaves one
    before = sorted(p.name for p in earlier.iterdir())
    again = mlmom("demo", "mlmom-demo", "--quiet", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "error: mlmom-demo is not empty: the demo starts from a new project; "
        "remove it or name a new folder (mlmom demo DIR)"
    )
    assert sorted(p.name for p in earlier.iterdir()) == before
    (tmp_path / "a-file").write_text("x")
    file = mlmom("demo", "a-file", cwd=tmp_path)
    assert file.returncode == 2 and "'a-file' is a file" in file.stderr  # click's usage error


def test_init_keeps_an_existing_gitignore(tmp_path):
    (tmp_path / ".gitignore").write_text("secret.env\n*.key\n")
    mlmom("init", str(tmp_path), cwd=tmp_path, check=True)
    assert (tmp_path / ".gitignore").read_text() == "secret.env\n*.key\n.mlmom/\ndata/\n"


@pytest.mark.http
def test_a_project_made_the_documented_way_explains_and_monitors(tmp_path):
    """The template registers with its training rows as reference: explanations and a
    monitoring check work on a new project without anything else set up."""
    import pandas as pd

    from .helpers import start_server

    folder = tmp_path / "fresh"
    mlmom("init", str(folder), cwd=tmp_path, check=True)
    mlmom("run", cwd=folder, check=True)
    explained = mlmom("explain", cwd=folder, check=True).stdout
    assert "global importance by SHAP (linear explainer" in explained
    rows = pd.read_parquet(folder / "data" / "test.parquet").drop(columns="label").head(60)
    proc, port = start_server(folder)
    try:
        body = json.dumps(
            {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations", body, {"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert len(json.loads(response.read())["predictions"]) == 60
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    checked = json.loads(mlmom("monitor", "check", "--json", cwd=folder, check=True).stdout)
    assert checked["rows"] == 60 and checked["explanation"] is not None
    assert {c["column"] for c in checked["features"]["columns"]} >= set(rows.columns)
