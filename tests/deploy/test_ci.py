"""`mlmom ci`: the GitLab and GitHub pipelines validate against their CI's own JSON schema
(vendored offline by check-jsonschema), every mlmom command in all three pipelines parses with
the real CLI, and the GitLab pipeline's candidate job really runs (gitlab-ci-local, shell
executor) on a scratch git repository of the example: it passes, then a gate rule fails it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
import yaml

from mlmom_lab.cli import _register, cli

from ..helpers import mlmom

REPO = Path(__file__).resolve().parents[2]
# installed by the README's test command (npm, into the virtual environment): 4.73 is the
# last that runs on node 20
GITLAB_CI_LOCAL = Path(sys.prefix) / "tools" / "node_modules" / ".bin" / "gitlab-ci-local"
FILES = {
    "gitlab": ".gitlab-ci.yml",
    "github": ".github/workflows/mlmom.yml",
    "jenkins": "Jenkinsfile",
}


@pytest.fixture
def repository(tmp_path):
    """The example project as the root of a fresh git repository, with all three pipelines."""
    root = tmp_path / "churn"
    shutil.copytree(
        REPO / "notebooks",
        root,
        ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports", "__pycache__"),
    )
    git(root, "init", "-q", "-b", "main")
    for kind, name in FILES.items():
        assert mlmom("ci", kind, cwd=root, check=True).stdout == f"wrote {root / name}\n"
    commit(root, "the example, with its CI")
    return root


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=60)


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=ci", "-c", "user.email=ci@example.org", "commit", "-qm", message)


@pytest.mark.parametrize(
    ("kind", "schema"), [("gitlab", "vendor.gitlab-ci"), ("github", "vendor.github-workflows")]
)
def test_the_pipeline_validates_against_its_cis_schema(repository, kind, schema):
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(repository / FILES[kind])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def mlmom_commands(text: str) -> list[list[str]]:
    """Every mlmom command line of a pipeline (up to a redirection, `||`, `;` or `then`), its
    variables given sample values."""
    values = {"MLMOM_PROJECT": ".", "MLMOM_RUN_ARGS": "-p register.auto_champion=false",
              "CANARY_WEIGHT": "0.1", "CI_PIPELINE_ID": "7", "BUILD_NUMBER": "7"}  # fmt: skip
    found = []
    for line in text.splitlines():
        if line.strip().startswith(("#", "//")) or "mlmom " not in line:
            continue
        command = re.split(r"\s(?:\|\||>|then\b)|;", line.split("mlmom ", 1)[1])[0]
        command = re.sub(r"\$\{\{[^}]*\}\}", "7", command.strip().rstrip("'"))
        command = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(0)), command)
        found.append(shlex.split(command))
    return found


def test_every_mlmom_command_of_every_pipeline_parses(repository):
    """The most real check of the Jenkinsfile here: there is no Jenkins on the registries we
    install from (its declarative linter runs inside a Jenkins server), so its commands, like
    the others', go through the real CLI's parser, and its declarative skeleton is checked."""
    _register()
    for kind, name in FILES.items():
        commands = mlmom_commands((repository / name).read_text())
        assert {c[0] for c in commands} >= {"run", "gate", "deploy", "monitor"}, (kind, commands)
        for args in commands:
            ctx = cli.make_context("mlmom", list(args), resilient_parsing=False)
            with ctx:
                name_, command, rest = cli.resolve_command(ctx, ctx.protected_args + ctx.args)
                while isinstance(command, click.Group):
                    sub = command.make_context(name_, rest, parent=ctx)
                    name_, command, rest = command.resolve_command(
                        sub, sub.protected_args + sub.args
                    )
                command.make_context(name_, rest, parent=ctx)  # a UsageError fails the test
    jenkinsfile = (repository / "Jenkinsfile").read_text()
    assert jenkinsfile.count("{") == jenkinsfile.count("}")
    for section in (
        "pipeline {",
        "agent any",
        "stages {",
        "stage('Candidate')",
        "junit ",
        "input message:",
    ):
        assert section in jenkinsfile, section


# the pipeline's own variable, set as a project would: a smaller search (the CI is tested here,
# not the model; 4 fits instead of 18)
LIGHT_RUN = "MLMOM_RUN_ARGS=-p register.auto_champion=false -p train.n_iter=2 -p train.cv=2"


def gitlab_ci_local(root: Path, home: Path, job: str) -> subprocess.CompletedProcess:
    """One job of the pipeline, run as GitLab's shell executor would (in the checkout, with
    this environment's mlmom on PATH instead of its install step)."""
    assert GITLAB_CI_LOCAL.is_file(), (
        f"{GITLAB_CI_LOCAL} is missing: the README's test command installs it "
        "(npm install --prefix .venv/tools gitlab-ci-local@4.73.0)"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--home", str(home),
         "--variable", "MLMOM_INSTALL=true", "--variable", LIGHT_RUN, job],
        cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def junit(root: Path) -> dict[str, str]:
    report = ET.parse(root / ".gitlab-ci-local" / "artifacts" / "candidate" / "gate.xml")
    return {
        case.get("name"): next(
            (c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed"
        )
        for case in report.getroot().iter("testcase")
    }


def job(root: Path, home: Path, name: str, *, ok: bool = True) -> str:
    done = gitlab_ci_local(root, home, name)
    assert (done.returncode == 0) is ok, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"{'PASS' if ok else 'FAIL'}  {name}" in done.stdout, done.stdout[-3000:]
    return done.stdout


def edit_spec(root: Path, change, message: str) -> None:
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    change(spec)
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit(root, message)


def canary_traffic(root: Path, rows: int = 60) -> None:
    """Requests the canary (version 2) answered, in the prediction log as a server logs them."""
    import mlflow.sklearn
    import pandas as pd

    from mlmom_lab.mlflow_clients import use_project
    from mlmom_lab.predictions.log import PredictionLog
    from mlmom_lab.project import load_project
    from mlmom_lab.registry import get_version

    project = load_project(root)
    use_project(project)
    model = mlflow.sklearn.load_model(get_version(None, "2", project).source)
    frame = pd.read_parquet(root / "data" / "test.parquet").drop(columns="churned").head(rows)
    log = PredictionLog(project.prediction_log_uri)
    log.record(
        request_id="canary-1", model="churn-classifier", version="2", route="canary",
        columns={c: frame[c].to_numpy() for c in frame}, latency_ms=1.0,
        outputs={"predict": model.predict(frame), "predict_proba": model.predict_proba(frame)},
    )  # fmt: skip
    log.close()


@pytest.mark.slow
def test_the_gitlab_pipeline_runs_job_by_job_and_a_failed_gate_fails_it(repository, tmp_path):
    from mlmom_lab.project import load_project
    from mlmom_lab.serving import deployment

    home = tmp_path / "home"
    out = job(repository, home, "candidate")
    assert "gate passed" in out and junit(repository)["metric roc_auc >= 0.75"] == "passed"
    artifacts = repository / ".gitlab-ci-local" / "artifacts" / "candidate"
    assert "Model card: churn-classifier version 1" in (artifacts / "model_card.html").read_text()
    assert (artifacts / "reports" / "metrics.json").is_file()
    assert "champion: - -> 1" in job(repository, home, "canary")  # the first version

    edit_spec(repository, lambda s: s["stages"]["train"]["params"].update(seed=8), "seed 8")
    assert "champion roc_auc" in job(repository, home, "candidate")  # v2 beats v1
    assert "canary v2 at 10%" in job(repository, home, "canary")
    out = job(repository, home, "release", ok=False)  # no canary traffic yet
    assert "the canary could not be checked (exit 1): nothing released" in out
    state = deployment.current(load_project(repository))
    assert (state.champion, state.canary) == ("1", "2")
    canary_traffic(repository)
    assert "canary fired no alert" in job(repository, home, "release")
    state = deployment.current(load_project(repository))
    assert (state.champion, state.canary) == ("2", None)

    edit_spec(repository, lambda s: s["gate"]["metrics"].update(roc_auc=">= 0.99"), "stricter")
    out = job(repository, home, "candidate", ok=False)
    assert "gate failed" in out and junit(repository)["metric roc_auc >= 0.99"] == "failure"


def test_bad_input_is_one_line_and_changes_nothing(repository):
    before = (repository / ".gitlab-ci.yml").read_text()
    again = mlmom("ci", "gitlab", cwd=repository)
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "already exists: not overwriting it (--force does)" in again.stderr
    unknown = mlmom("ci", "circleci", cwd=repository)
    assert (
        unknown.returncode == 2
        and "'circleci' is not one of 'gitlab', 'github', 'jenkins'" in unknown.stderr
    )
    assert (repository / ".gitlab-ci.yml").read_text() == before
