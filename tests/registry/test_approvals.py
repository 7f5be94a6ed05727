"""Approvals and four eyes on the example's registry, from the CLI: who may approve, what an
unapproved version may not do, and refusals in one line that change nothing."""

from __future__ import annotations

import getpass

import joblib
import pandas as pd
import pytest
import yaml

from mlmom_lab import registration, registry, retraining
from mlmom_lab.monitoring import loop_state
from mlmom_lab.project import load_project
from mlmom_lab.registry import approvals

from ..helpers import mlmom, own_copy


@pytest.fixture
def project(example_run, tmp_path):
    """The example with approvals required and four eyes, and a second version (a copy of
    the champion's model) registered by alice."""
    copy = own_copy(example_run[0], tmp_path / "churn")
    path = copy.root / "mlmom.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["governance"] = {**raw["governance"], "require_approval": True, "four_eyes": True}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_project(copy.root)


def second_version(project, monkeypatch, who="alice") -> str:
    test = pd.read_parquet(project.root / "data" / "test.parquet")
    features = [c for c in test.columns if c not in ("churned", "age_band")]
    model = joblib.load(project.root / "models" / "model.joblib")
    monkeypatch.setenv("MLMOM_USER", who)
    version = registration.register_model(model, test[features].head(5), project=project)
    monkeypatch.delenv("MLMOM_USER")
    return version.version


def refused(*args, project, said: str, env=None) -> str:
    done = mlmom(*args, cwd=project.root, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    return done.stderr


def test_four_eyes_the_registrant_may_not_approve_someone_else_may(project, monkeypatch):
    two = second_version(project, monkeypatch)
    assert registry.get_version(None, two, project).registered_by == "alice"
    assert registry.get_version(None, "1", project).registered_by == getpass.getuser()
    alice = {"MLMOM_USER": "alice"}
    refused(
        "registry",
        "approve",
        two,
        "-m",
        "mine",
        project=project,
        env=alice,
        said=f"four eyes: alice registered version {two}; someone else must approve it",
    )
    assert approvals.of(registry.get_version(None, two, project)).status == "pending"
    assert approvals.history(project) == []  # nothing recorded
    done = mlmom(
        "registry",
        "approve",
        two,
        "-m",
        "gate passed, card read",
        cwd=project.root,
        env={"MLMOM_USER": "bob"},
        check=True,
    )
    assert f"version {two} approved by bob: gate passed, card read" in done.stdout
    decision = approvals.of(registry.get_version(None, two, project))
    assert (decision.status, decision.who, decision.why) == (
        "approved",
        "bob",
        "gate passed, card read",
    )
    assert [(a.version, a.status, a.who) for a in approvals.history(project)] == [
        (two, "approved", "bob")
    ]


def test_an_unapproved_version_may_not_serve_until_approved(project, monkeypatch):
    two = second_version(project, monkeypatch)
    refused(
        "deploy",
        "canary",
        two,
        "--weight",
        "0.2",
        project=project,
        said=f"version {two} may not go out as a canary: it is pending",
    )
    refused(
        "registry",
        "promote",
        two,
        project=project,
        said=f"version {two} may not become champion: it is pending",
    )
    assert "champion" in registry.get_version(None, "1", project).aliases
    approvals.reject(two, "fails on the newest customers", project=project, who="carol")
    refused(
        "registry",
        "promote",
        two,
        project=project,
        said="it is rejected by carol: fails on the newest customers",
    )
    approvals.approve(two, "fixed upstream, checked again", project=project, who="bob")
    mlmom("registry", "promote", two, "-m", "approved", cwd=project.root, check=True)
    assert "champion" in registry.get_version(None, two, project).aliases
    assert [a.status for a in approvals.history(project)] == ["rejected", "approved"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["approve", "9", "-m", "ok"], "has no version"),
        (["approve", "1", "-m", "  "], "say why the version is approved (-m WHY)"),
        (["reject", "1"], "Missing option '--reason' / '-m'"),
    ],
)
def test_bad_decisions_are_refused_in_one_line(project, args, said):
    done = mlmom("registry", *args, cwd=project.root)
    assert done.returncode != 0 and said in done.stderr, done.stderr
    assert approvals.history(project) == []


def test_a_retrained_challenger_waits_for_approval(project, monkeypatch):
    """The loop's approval state: nothing is released while pending; approval releases the
    canary, rejection drops it."""
    two = second_version(project, monkeypatch)
    waiting = {"state": "approval", "canary": two, "champion": "1", "history": []}
    raw = yaml.safe_load(project.spec_path.read_text())
    raw["monitoring"] = {
        "alerts": [{"name": "drift", "kind": "dataset_drift"}],
        "retrain": {"on": ["drift"], "recent_param": "prepare.recent"},
    }
    project.spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    project = load_project(project.root)
    loop_state.save(project, waiting)
    assert retraining.advance(project, [])["state"] == "approval"  # pending: no change
    approvals.approve(two, "looked at it", project=project, who="bob")
    after = retraining.advance(project, [])
    assert after["state"] == "canary" and after["canary"] == two
    assert f"version {two} approved by bob: looked at it" in after["history"][-1]["message"]
    from mlmom_lab.serving import deployment

    assert deployment.current(project).canary == two
