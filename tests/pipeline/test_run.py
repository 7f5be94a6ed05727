"""Running stages: parameters, failures, parallel stages, MLflow records, the track helper."""

import json
import time
from pathlib import Path

import pytest

from mlmom_lab.pipeline import run_pipeline
from mlmom_lab.project import load_project

from ..helpers import mlmom, notebook, spec, two_stage_project


def test_parameters_keep_their_types(tmp_path):
    notebook(
        tmp_path / "types.ipynb",
        "i = 1\nf = 0.5\nb = False\ns = 'a'\nl = [1]\nd = {'k': 1}",
        "import json\nfrom pathlib import Path\n"
        "Path('types.json').write_text(json.dumps({k: [type(v).__name__, v] for k, v in "
        "dict(i=i, f=f, b=b, s=s, l=l, d=d).items()}))",
    )
    spec(
        tmp_path,
        {
            "types": {
                "notebook": "types.ipynb",
                "outs": ["types.json"],
                "params": {"i": 1, "f": 0.5, "b": False, "s": "a", "l": [1], "d": {"k": 1}},
            }
        },
    )
    mlmom(
        "run",
        "-p",
        "types.i=7",
        "-p",
        "types.f=2",
        "-p",
        "types.b=true",
        "-p",
        "types.s=hello",
        "-p",
        "types.l=[1, 2.5, x]",
        "-p",
        "types.d={k: 2, n: [1]}",
        cwd=tmp_path,
        check=True,
    )
    got = json.loads((tmp_path / "types.json").read_text())
    assert got == {
        "i": ["int", 7],
        "f": ["float", 2.0],
        "b": ["bool", True],
        "s": ["str", "hello"],
        "l": ["list", [1, 2.5, "x"]],
        "d": ["dict", {"k": 2, "n": [1]}],
    }


def test_bad_parameter_on_the_cli(tmp_path):
    two_stage_project(tmp_path)
    result = mlmom("run", "-p", "make.n=many", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: parameter make.n: expected int like the spec's 3, got str 'many'"
    )
    assert not (tmp_path / ".mlmom" / "runs").exists()


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    """``ok`` and ``bad`` are independent; ``after`` depends on ``bad``, which fails in cell 3."""
    notebook(tmp_path / "ok.ipynb", "x = 1", "open('ok.txt', 'w').write(str(x))")
    notebook(
        tmp_path / "bad.ipynb",
        "fail = False",
        "y = 2",
        "if fail:\n    raise ValueError('bad input row 17')\nopen('bad.txt', 'w').write('fine')",
    )
    notebook(tmp_path / "after.ipynb", "", "open('after.txt', 'w').write(open('bad.txt').read())")
    spec(
        tmp_path,
        {
            "ok": {"notebook": "ok.ipynb", "params": {"x": 1}, "outs": ["ok.txt"]},
            "bad": {"notebook": "bad.ipynb", "params": {"fail": False}, "outs": ["bad.txt"]},
            "after": {"notebook": "after.ipynb", "deps": ["bad.txt"], "outs": ["after.txt"]},
        },
    )
    mlmom("run", cwd=tmp_path, check=True)
    return tmp_path


def test_failing_stage_stops_dependents_and_keeps_cache_and_outs(failing):
    cache_before = (failing / ".mlmom/cache/stages/bad/latest.json").read_text()
    after_before = (failing / "after.txt").read_text()
    result = mlmom("run", "--force", "-p", "bad.fail=true", cwd=failing)
    assert result.returncode == 1
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert "stage 'bad' failed in cell 3 of bad.ipynb: ValueError: bad input row 17" in error[0]
    path = error[0].split("partly executed notebook: ")[1].rstrip(")")
    executed = json.loads(Path(path).read_text())
    assert any("ValueError" in json.dumps(c.get("outputs", [])) for c in executed["cells"])
    assert (failing / ".mlmom/cache/stages/bad/latest.json").read_text() == cache_before
    assert (failing / "after.txt").read_text() == after_before
    summary = json.loads((Path(path).parent / "run.json").read_text())
    by_stage = {s["stage"]: s for s in summary["stages"]}
    assert by_stage["ok"]["status"] == "ran"  # independent stages still run
    assert by_stage["bad"]["status"] == "failed" and by_stage["bad"]["cell"] == 3
    assert by_stage["after"]["status"] == "skipped"
    assert "upstream 'bad' failed" in by_stage["after"]["reason"]


def test_failed_stage_is_still_stale_and_reruns(failing):
    mlmom("run", "-p", "bad.fail=true", cwd=failing)
    status = mlmom("status", cwd=failing).stdout
    assert "bad    fresh" in status  # the failure left the earlier good result in place
    status = mlmom("status", "-p", "bad.fail=true", cwd=failing).stdout
    assert "bad    stale: parameter fail changed: False -> True" in status


def test_missing_declared_out_fails_the_stage(tmp_path):
    notebook(tmp_path / "lazy.ipynb", "", "x = 1")
    spec(tmp_path, {"lazy": {"notebook": "lazy.ipynb", "outs": ["promised.csv"]}})
    result = run_pipeline(load_project(tmp_path))
    assert result.stages[0].status == "failed"
    assert "without writing its declared outs: promised.csv" in result.stages[0].error


def test_independent_stages_run_at_the_same_time_with_jobs(tmp_path):
    for name in ("left", "right"):
        notebook(
            tmp_path / f"{name}.ipynb",
            "",
            "import time, json\nstart = time.time()\ntime.sleep(2)\n"
            f"json.dump([start, time.time()], open('{name}.json', 'w'))",
        )
    spec(
        tmp_path, {n: {"notebook": f"{n}.ipynb", "outs": [f"{n}.json"]} for n in ("left", "right")}
    )
    result = run_pipeline(load_project(tmp_path), jobs=2)
    assert result.ok
    (l0, l1), (r0, r1) = (
        json.loads((tmp_path / f"{n}.json").read_text()) for n in ("left", "right")
    )
    assert max(l0, r0) < min(l1, r1), "the two stages did not overlap"


def test_mlflow_records_the_pipeline_as_nested_runs(tmp_path):
    two_stage_project(tmp_path)
    project = load_project(tmp_path)
    result = run_pipeline(project, overrides={"make": {"n": 4}})
    from mlmom_lab.mlflow_clients import client

    mlflow = client(project)
    parent = mlflow.get_run(result.mlflow_run_id)
    assert parent.data.tags["mlmom.run_id"] == result.run_id and parent.info.status == "FINISHED"
    children = {
        r.data.tags["mlmom.stage"]: r
        for r in mlflow.search_runs(
            [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{result.mlflow_run_id}'"
        )
    }
    assert set(children) == {"make", "total"}
    assert children["make"].data.params == {"n": "4"}
    assert children["make"].data.metrics == {"count": 4.0}
    assert children["total"].data.metrics == {"total": 6.0}
    artifacts = [a.path for a in mlflow.list_artifacts(children["make"].info.run_id, "notebook")]
    assert artifacts == ["notebook/make.ipynb"]
    # a later run where make is cached records it as a child pointing at the original
    again = run_pipeline(project, overrides={"make": {"n": 4}, "total": {"scale": 2.0}})
    cached = mlflow.search_runs(
        [parent.info.experiment_id],
        f"tags.mlflow.parentRunId = '{again.mlflow_run_id}' and tags.`mlmom.stage` = 'make'",
    )
    assert cached[0].data.tags["mlmom.cached_from_run"] == result.run_id


def test_track_helper_logs_to_mlflow_when_run_by_hand(tmp_path, monkeypatch):
    two_stage_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLMOM_STAGE_CONTEXT", raising=False)
    import mlflow

    from mlmom_lab import track

    try:
        track.log_metrics({"by_hand": 1.5})
        track.log_trial({"depth": 3}, {"score": 0.9})
        run_id = mlflow.active_run().info.run_id
    finally:
        mlflow.end_run()
    run = mlflow.MlflowClient().get_run(run_id)
    assert run.data.metrics == {"by_hand": 1.5}
    assert mlflow.get_experiment(run.info.experiment_id).name == "toy"
    with pytest.raises(ValueError, match="finite"):
        track.log_metric("bad", float("nan"))


def test_status_lists_every_stage(tmp_path):
    two_stage_project(tmp_path)
    assert mlmom("status", cwd=tmp_path).stdout.splitlines() == [
        "make   stale: never run",
        "total  stale: never run; upstream stage 'make' is stale",
    ]
    run = mlmom("run", cwd=tmp_path, check=True)
    assert "2 ran" in run.stdout and "make" in run.stderr  # progress is drawn on stderr
    assert mlmom("status", cwd=tmp_path).stdout.splitlines() == ["make   fresh", "total  fresh"]
    assert "2 cached" in mlmom("run", cwd=tmp_path, check=True).stdout


def test_interrupt_stops_the_running_notebook_and_records_nothing(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    notebook(tmp_path / "slow.ipynb", "", "import time\ntime.sleep(300)", "open('slow.txt', 'w')")
    spec(tmp_path, {"slow": {"notebook": "slow.ipynb", "outs": ["slow.txt"]}})
    mlmom_exe = Path(sys.executable).with_name("mlmom")
    # as from a terminal: a test run started in the background by a non-interactive shell
    # (`cmd &`) inherits SIGINT ignored, and so would mlmom run; exec it with the default
    default_sigint = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", default_sigint, str(mlmom_exe), "run"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )  # stacks on SIGABRT
    track_log = None
    for _ in range(600):  # until the notebook runs: its context names the stage's MLflow run
        contexts = list((tmp_path / ".mlmom" / "runs").glob("*/slow.context.json"))
        if contexts and json.loads(contexts[0].read_text())["mlflow_run_id"]:
            track_log = contexts[0]
            break
        time.sleep(0.1)
    assert track_log, "the stage never started"
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=240)  # far less than the notebook's 300 s: the kernel was stopped
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # where it hangs, every thread, on its stderr
        raise AssertionError(f"mlmom run ignored the interrupt:\n{proc.communicate()[1][-6000:]}")
    assert proc.returncode != 0
    assert not (tmp_path / "slow.txt").exists()
    assert not (tmp_path / ".mlmom" / "cache" / "stages" / "slow").exists()
    from mlmom_lab.mlflow_clients import client

    mlflow = client(load_project(tmp_path))
    runs = mlflow.search_runs([mlflow.get_experiment_by_name("toy").experiment_id])
    assert {r.info.status for r in runs if r.data.tags.get("mlmom.kind") == "pipeline"} == {
        "KILLED"
    }


def test_a_second_run_of_a_busy_project_is_refused(tmp_path):
    import os

    from mlmom_lab.pipeline.lock import project_lock

    two_stage_project(tmp_path)
    with project_lock(load_project(tmp_path)):
        result = mlmom("run", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: another pipeline run is in progress in "
        f"{tmp_path.resolve()} (pid {os.getpid()}); wait for it to finish"
    )
    assert "2 ran" in mlmom("run", cwd=tmp_path, check=True).stdout  # the lock is free again


def test_unknown_kernel_is_a_spec_error(tmp_path):
    notebook(tmp_path / "a.ipynb", "", "pass")
    spec(tmp_path, {"a": {"notebook": "a.ipynb", "kernel": "python9"}})
    result = mlmom("run", cwd=tmp_path)
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and "stages.a.kernel: no kernel named 'python9'" in error
    assert "installed: python3" in error
