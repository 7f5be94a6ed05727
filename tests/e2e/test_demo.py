"""The README's demo, end to end, and reproducing the champion it leaves behind."""

import json
import re

import pytest

from ..helpers import mlmom


@pytest.fixture(scope="module")
def demo(binder_build):
    """The demo as a new user runs it: mlmom-lab installed in a fresh environment, then
    ``mlmom demo mlmom-demo --quiet`` (binder/postBuild does both, as the README's first
    command does). Its folder and its story."""
    return binder_build.demo.resolve(), binder_build.output.split("\npostBuild: ")[0]


def test_demo_tells_the_story(demo):
    folder, story = demo
    assert "1. Run the pipeline" in story and "demo finished" in story
    assert story.rstrip().endswith("mlmom lab mlmom-demo")  # last, how to open it in the lab
    assert "prepare   cached" in story  # step 2 re-used prepare
    assert "quality gate: version 2 kept as challenger (fails champion roc_auc (0." in story
    assert "4 of 4 stages cached or restored" in story
    chapters = re.search(r"Chapters: (.*); (\d+)s in all", story.replace("\n", " "))
    assert chapters and "7. explanations" in chapters.group(1), story[-800:]
    assert "mlflow ui --backend-store-uri sqlite:///" in story
    assert "traffic: 60 to champion v1" in story  # both protocols, before the canary
    # each release returns once both workers serve it: the traffic after the canary reaches it
    assert re.search(
        r"deploy canary 2 -w 0.3: canary v2 at 30% live on 2 of 2 workers in "
        r"\d+\.\d s\n   traffic: \d+ to canary v2, \d+ to champion v1\n",
        story,
    ), story
    assert re.search(r"deploy promote: champion v2 live on 2 of 2 workers in \d+\.\d s", story)
    assert re.search(r"deploy rollback: champion v1 \(rolled back\) live on 2 of 2 workers", story)
    assert "server stopped cleanly; 120 predictions are in the prediction log" in story
    assert "6. Watch the model in production" in story
    assert "ALERT charges-drift: monthly_charges drifted" in story
    assert "loop: alert charges-drift: retrained on" in story
    assert re.search(r"canary v3 at 50% live on 1 of 1 worker in \d+\.\d s", story)
    assert "loop: promoted: canary v3" in story and "the champion is now version 3" in story
    assert "7. Explain it" in story and "champion v3 listens most to (mean |SHAP|)" in story
    assert "LIME agrees on" in story and f"mlmom dashboards {folder}" in story
    assert {p.name for p in (folder / "dashboards").iterdir()} >= {"explain.ipynb", "drift.ipynb"}
    versions = json.loads(mlmom("registry", "list", "--json", cwd=folder, check=True).stdout)
    assert [v["version"] for v in versions] == ["3", "2", "1"]
    assert sum("champion" in v["aliases"] for v in versions) == 1
    assert all(v["onnx"]["status"] == "ok" for v in versions)


def test_reproduce_champion_gives_the_same_metrics(demo, tmp_path):
    folder, _ = demo
    result = mlmom(
        "reproduce", "churn-classifier@champion", "--workdir", str(tmp_path), "--json", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["run"]["ok"]
    checked = {(c["scope"], c["metric"]) for c in report["checks"]}
    assert {("evaluate", "roc_auc"), ("version", "f1"), ("prepare", "train_rows")} <= checked
    assert all(c["diff"] == 0 for c in report["checks"])
    assert (tmp_path / folder.name / ".mlmom" / "mlflow.db").is_file()  # its own fresh store


def test_reproduce_fails_loudly_when_code_or_data_changed(demo):
    folder, _ = demo
    source = folder / "churn_data.py"
    original = source.read_text()
    try:
        source.write_text(original + "\n# tweak\n")
        result = mlmom("reproduce", "churn-classifier/1", cwd=folder)
    finally:
        source.write_text(original)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: cannot reproduce: data churn_data.py (read by 'prepare', 'train', 'evaluate', "
        "'register') changed since the version was registered"
    )


def test_reproduce_refuses_a_workdir_inside_the_project(demo):
    folder, _ = demo
    result = mlmom("reproduce", "1", "--workdir", "inside", cwd=folder)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: --workdir inside lies inside the project: choose a folder outside it"
    )
    assert not (folder / "inside").exists()
