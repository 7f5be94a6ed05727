"""Workers' records of what they serve: a dead worker (or a reused pid) is never waited for,
a live one that does not follow makes the wait run out and is named, and with no server a
release is reported at once."""

import json
import shutil
import subprocess
import sys
import time

import psutil
import pytest

from mlmom_lab.files import write_json
from mlmom_lab.project import load_project
from mlmom_lab.serving.rollout import (
    WorkerRecord,
    WorkerState,
    folder_of,
    live_workers,
    wait_live,
    wait_started,
)

from ..helpers import mlmom, own_copy


def pretend_worker(state_dir, pid: int, seq, started: float | None = None):
    """The record a worker ``pid`` would keep (for processes that are not servers)."""
    started = psutil.Process(pid).create_time() if started is None else started
    path = folder_of(state_dir) / f"{pid}.json"
    write_json(path, WorkerState(pid, started, str(state_dir.resolve()), seq=seq).as_dict())
    return path


@pytest.fixture
def sleeper():
    """A live process that never follows anything: a stuck worker."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_dead_worker_is_not_waited_for_and_its_record_goes(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(gone.pid).create_time()
    gone.wait()
    path = pretend_worker(tmp_path, gone.pid, seq=1, started=started)
    rollout = wait_live(tmp_path, 2, timeout=60)
    assert rollout.done and rollout.workers == [] and not path.exists()
    assert rollout.summary() == "no server is running: it applies when one starts"


def test_a_reused_pid_is_not_the_worker_that_recorded_it(tmp_path, sleeper):
    path = pretend_worker(tmp_path, sleeper.pid, seq=1, started=time.time() - 3600)
    assert live_workers(tmp_path) == [] and not path.exists()


def test_waiting_for_workers_to_start_counts_live_ones_and_gives_up_in_time(tmp_path, sleeper):
    pretend_worker(tmp_path, sleeper.pid, seq=None)  # started, still loading its models
    assert wait_started(tmp_path, 1, timeout=60) == 1
    began = time.monotonic()
    assert wait_started(tmp_path, 2, timeout=0.3) == 1  # the second never comes
    assert time.monotonic() - began >= 0.3  # it waited its time, then answered


def test_a_record_copied_with_the_project_is_not_a_worker_of_the_copy(tmp_path, sleeper):
    """A live worker of the original follows the original's deployment, not the copy's."""
    pretend_worker(tmp_path / "original", sleeper.pid, seq=1)
    shutil.copytree(tmp_path / "original", tmp_path / "copy")
    assert live_workers(tmp_path / "copy") == []
    assert [w.pid for w in live_workers(tmp_path / "original")] == [sleeper.pid]


def test_a_live_worker_behind_makes_the_wait_run_out_and_is_named(tmp_path, sleeper):
    me = WorkerRecord(tmp_path)
    me.serving(5)
    pretend_worker(tmp_path, sleeper.pid, seq=4)
    rollout = wait_live(tmp_path, 5, timeout=0.3)
    assert not rollout.done and [w.pid for w in rollout.live] == [me.pid]
    assert [w.pid for w in rollout.lagging] == [sleeper.pid]
    assert rollout.summary() == (
        f"not live after 0.3 s on 1 of 2 workers (worker {sleeper.pid} "
        "serves change 4); they will still follow it"
    )
    me.close()
    assert [w.pid for w in live_workers(tmp_path)] == [sleeper.pid]


def test_a_worker_that_could_not_load_the_change_ends_the_wait(tmp_path):
    me = WorkerRecord(tmp_path)
    me.serving(3)
    me.failed(4, "OSError: the artifact is gone")
    rollout = wait_live(tmp_path, 4, timeout=120)
    assert [w.pid for w in rollout.refused] == [me.pid] and not rollout.done
    assert rollout.summary() == (
        f"not live: worker {me.pid} serves change 3, failed to apply "
        "change 4: OSError: the artifact is gone"
    )
    me.serving(5)  # a later change it could load: it serves 4's successor, so 4 is passed
    assert wait_live(tmp_path, 4, timeout=1).done


def test_a_record_being_rewritten_is_still_one_worker(tmp_path):
    """An atomic write leaves ``.tmp-*.json`` next to the record until it replaces it; read
    in that moment it is no second worker, and it is not removed under the writer."""
    me = WorkerRecord(tmp_path)
    me.serving(2)
    half_done = folder_of(tmp_path) / ".tmp-k3j2h1.json"
    half_done.write_text(me.path.read_text())
    assert [w.pid for w in wait_live(tmp_path, 2, timeout=1).workers] == [me.pid]
    assert half_done.exists()
    me.close()


@pytest.fixture
def project(example_run, tmp_path):
    source, _ = example_run
    root = tmp_path / "churn"
    own_copy(source, root)
    return load_project(root)


def test_without_a_server_a_release_says_so_at_once(project):
    result = mlmom("deploy", "shadow", "1", "-m", "nobody serves", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[-1]
        == "shadow v1 no server is running: it applies when one starts"
    )
    status = mlmom("deploy", "status", cwd=project.root, check=True).stdout
    assert status.splitlines()[-1] == "no server is running"


def test_a_stuck_worker_makes_a_release_exit_3_naming_it(project, sleeper):
    seq = json.loads(mlmom("deploy", "status", "--json", cwd=project.root, check=True).stdout)[
        "seq"
    ]
    pretend_worker(project.state_dir, sleeper.pid, seq=seq)
    result = mlmom("deploy", "clear", "--timeout", "0.5", cwd=project.root)
    assert result.returncode == 3
    assert result.stderr.strip().startswith("error: champion v")
    assert (
        f"(change {seq + 1}) is written but not live after 0.5 s on 1 of 1 workers "
        f"(worker {sleeper.pid} serves change {seq}); they will still follow it" in result.stderr
    )
    status = mlmom("deploy", "status", cwd=project.root, check=True).stdout.splitlines()
    assert f"(change {seq + 1}: canary and shadow cleared)" in status[0]  # written all the same
    assert status[1] == f"  worker {sleeper.pid} serves change {seq}  (behind)"
