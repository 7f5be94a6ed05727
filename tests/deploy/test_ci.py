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
    """Every mlmom command line of a pipeline, its variables given sample values."""
    values = {
        "MLMOM_PROJECT": ".",
        "MLMOM_RUN_ARGS": "-p register.auto_champion=false",
        "CANARY_WEIGHT": "0.1",
        "CI_PIPELINE_ID": "7",
        "BUILD_NUMBER": "7",
    }
    found = []
    for line in text.splitlines():
        match = re.search(
            r"(?:\.venv/bin/)?mlmom (\w.*?)(?:;|\)?$| then$)", line.strip().removeprefix("- ")
        )
        if not match or line.strip().startswith(("#", "//")):
            continue
        command = re.sub(r"\$\{\{[^}]*\}\}", "7", match.group(1).rstrip("'").rstrip())
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


def gitlab_ci_local(root: Path, home: Path) -> subprocess.CompletedProcess:
    assert GITLAB_CI_LOCAL.is_file(), (
        f"{GITLAB_CI_LOCAL} is missing: the README's test command installs it "
        "(npm install --prefix .venv/tools gitlab-ci-local@4.73.0)"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--home", str(home),
         "--variable", "MLMOM_INSTALL=true", "candidate"],
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


@pytest.mark.slow
def test_the_gitlab_pipeline_runs_and_a_failed_gate_fails_it(repository, tmp_path):
    done = gitlab_ci_local(repository, tmp_path / "home")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "gate passed" in done.stdout and "PASS  candidate" in done.stdout
    assert junit(repository)["metric roc_auc >= 0.75"] == "passed"
    artifacts = repository / ".gitlab-ci-local" / "artifacts" / "candidate"
    assert "Model card: churn-classifier version 1" in (artifacts / "model_card.html").read_text()
    assert (artifacts / "reports" / "metrics.json").is_file()

    spec = yaml.safe_load((repository / "mlmom.yaml").read_text())
    spec["gate"]["metrics"]["roc_auc"] = ">= 0.99"
    (repository / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit(repository, "a stricter gate")
    failed = gitlab_ci_local(repository, tmp_path / "home")
    assert failed.returncode != 0, failed.stdout[-3000:]
    assert "gate failed" in failed.stdout and "FAIL  candidate" in failed.stdout
    assert junit(repository)["metric roc_auc >= 0.99"] == "failure"


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
