import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import services
from .helpers import fingerprint

# jupyter_server fixtures (jp_fetch, jp_root_dir...) for the server extension's tests
pytest_plugins = ["pytest_jupyter.jupyter_server"]

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "true")

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
TIERS = ("unit", "http", "ui", "e2e")
FOLDER_TIERS = {"ui": "ui", "e2e": "e2e", "server": "http", "team": "http"}


# The groups that take longest: the binder build with the demo (~2.5 minutes on 2 cores, its
# one test's setup alone ~2), the team's engines (~3), the lab in a browser (~3), the GitLab
# pipeline, the nbdev guide, serving's releases (1-1.5 each). xdist hands groups out in
# collection order (--no-loadscope-reorder in pyproject.toml; its own order is by number of
# tests): started first, they end with the short ones instead of minutes after them.
LONGEST_FIRST = ("binder", "team", "lab", "deploy/test_ci.py", "test_docs.py",
                 "serving/test_deploy.py")  # fmt: skip


def pytest_configure(config):
    """Every process the tests start writes the bytecode of what it imports, so the next one
    reads it. Machines that set PYTHONDONTWRITEBYTECODE (these do) would have each of the
    hundreds of processes (commands, kernels, servers) compile every module it imports
    again; the install does not compile the ~40,000 modules it installs, of which the tests
    import about a third. Set here, before xdist starts the workers, which inherit it."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items):
    """Every test in one tier (`pytest -m unit` for the quick ones): its own mark, else its
    folder's (ui, e2e, and the lab's HTTP API in server/), else unit; a test that needs the
    example pipeline run is also slow. The longest groups go first, the rest in
    pytest-randomly's order (it shuffles before any other plugin sees the items)."""
    groups = {}
    for item in items:
        parts = Path(str(item.fspath)).relative_to(TESTS).parts
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(FOLDER_TIERS.get(parts[0], "unit") if len(parts) > 1 else "unit")
        if "example_run" in item.fixturenames and not item.get_closest_marker("slow"):
            item.add_marker("slow")
        groups[item] = _group(parts)
        item.add_marker(pytest.mark.xdist_group(groups[item]))
    rank = {group: i for i, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(groups[item], len(rank)))  # stable: the rest as shuffled


def _group(parts: tuple[str, ...]) -> str:
    """The tests that one xdist worker runs together (``--dist loadgroup``): a file's, so its
    module fixtures are made once; the team's engines, started once for their folder; the
    binder build, which the README's demo tests and the packaging test read too; the lab's
    panels and main-area views, which share one JupyterLab (tests/ui/conftest.py)."""
    if parts[0] == "team" or parts == ("pipeline", "test_kfp.py"):  # kfp logs to the team's
        return "team"
    if parts in (("test_binder.py",), ("e2e", "test_demo.py"), ("test_packaging.py",)):
        return "binder"
    if parts in (("ui", "test_panels.py"), ("ui", "test_views.py")):  # one JupyterLab for both
        return "lab"
    return "/".join(parts)


@pytest.fixture(scope="session", autouse=True)
def own_user_cache(tmp_path_factory):
    """The user-level cache (MLflow's requirements answers, skops's trusted types, the blank
    MLflow store: ``mlmom_lab/user_cache.py``) in this run's temporary folder, shared by its
    xdist workers, never in the real home's."""
    run = tmp_path_factory.getbasetemp()  # pytest-N, or pytest-N/popen-gwK under xdist
    run = run.parent if os.environ.get("PYTEST_XDIST_WORKER") else run
    os.environ["MLMOM_CACHE_DIR"] = str(run / "user-cache")


@pytest.fixture(scope="session")
def binder_build(tmp_path_factory):
    """binder/postBuild run once, as repo2docker runs it: mlmom-lab installed in a fresh
    environment and the README's demo run there (tests/binder.py). Its tests share one
    xdist group, so one worker builds it."""
    from .binder import build

    if not (REPO / ".git").exists():
        pytest.skip("needs the git checkout (the files a clone would have)")
    return build(tmp_path_factory.mktemp("binder"))


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """The example project copied and run once: a registered champion with real lineage.
    Once per test run: under xdist the first worker that needs it runs it and the others wait
    for it (a file lock), then all share it. Shared and read-only: each worker fails at the
    end of its session if any test wrote into it."""
    import pickle

    from filelock import FileLock

    from mlmom_lab.project import load_project

    base = tmp_path_factory.getbasetemp()  # pytest-N, or pytest-N/popen-gwK under xdist
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, done = base / "example" / "churn", base / "example" / "result.pickle"
    with FileLock(str(base / "example.lock")):
        if not done.is_file():
            result = _run_the_example(root)
            done.write_bytes(pickle.dumps(result))
    project, result = load_project(root), pickle.loads(done.read_bytes())
    before = fingerprint(root)
    yield project, result
    # Read-only for the tests that share it: a test that writes takes its own copy
    # (helpers.own_copy), so every assertion can be exact.
    after = fingerprint(root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a test wrote into the shared example project: {changed[:10]}"


def _run_the_example(root: Path):
    from mlmom_lab.pipeline import run_pipeline
    from mlmom_lab.project import load_project
    from mlmom_lab.serving import deployment

    shutil.copytree(
        REPO / "notebooks",
        root,
        ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports", "__pycache__"),
    )
    project = load_project(root)
    result = run_pipeline(project)
    assert result.ok, [s.error for s in result.stages]
    deployment.current(project)  # the first read writes the first deployment: do it here
    return result


# The team's engines, for tests/team and the Kubeflow export (one xdist group, one worker):
# PostgreSQL (Debian's), an S3 stand-in (moto_server: no real S3 server is on the registries
# we install from) and an MLflow tracking server on that PostgreSQL, proxying artifacts to
# that S3, with MLflow's basic authentication and two users. Started once per test process.
USERS = {"alice": "alice-password-1234", "bob": "bob-password-5678"}


@dataclass
class Team:
    postgres: services.Postgres
    s3: services.S3
    bucket: str
    tracking_uri: str

    def credentials(self, user: str) -> dict[str, str]:
        """The environment a user's commands run in: their login at the tracking server."""
        return {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": USERS[user]}


@pytest.fixture(scope="session")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("team")
    with services.postgres() as pg, services.s3(base / "s3.log") as s3:
        bucket = s3.bucket("mlmom-team")
        backend = pg.database("mlflow")
        artifacts = f"{bucket}/artifacts"
        log, users = base / "mlflow.log", pg.database("mlflow_users")
        with services.mlflow_server(backend, artifacts, s3.endpoint, log, users) as uri:
            for user, password in USERS.items():
                services.add_user(uri, user, password)
            services.quick_password_hashes(
                pg, "mlflow_users", {**USERS, services.ADMIN[0]: services.ADMIN[1]}
            )
            yield Team(pg, s3, bucket.removeprefix("s3://"), uri)
