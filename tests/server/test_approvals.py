"""Approvals from the lab: the Jupyter user decides, four eyes refuses the user who registered
a version with a 403 that says why, and the registry page shows the decision."""

from __future__ import annotations

import getpass
import inspect

import joblib
import pandas as pd
import pytest
import yaml
from jupyter_server.auth.identity import IdentityProvider, User

from mlmom_lab import registration
from mlmom_lab.project import load_project

from .test_actions import call, refused


class Alice(IdentityProvider):
    """Every request is Alice's (as behind JupyterHub), so four eyes has someone to check."""

    async def get_user(self, handler):
        user = super().get_user(handler)  # the token is checked as usual
        user = await user if inspect.isawaitable(user) else user
        return None if user is None else User(username="alice", name="Alice")


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlmom_lab.server": True},
            "identity_provider_class": Alice,
        }
    }


@pytest.fixture
def four_eyes(lab_root):
    path = lab_root / "churn" / "mlmom.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["governance"] = {**raw["governance"], "four_eyes": True}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_project(lab_root / "churn")


async def test_the_lab_user_approves_and_four_eyes_refuses_her_own(
    jp_fetch, four_eyes, monkeypatch
):
    code, decided = await call(jp_fetch, "registry/approve", {"version": "1", "reason": "ok"})
    assert code == 200 and (decided["status"], decided["who"]) == ("approved", "Alice (alice)")
    _, page = await call(jp_fetch, "registry", method="GET")
    one = next(v for v in page["versions"] if v["version"] == "1")
    assert one["approval"]["who"] == "Alice (alice)" and one["registered_by"] == getpass.getuser()

    test = pd.read_parquet(four_eyes.root / "data" / "test.parquet")
    model = joblib.load(four_eyes.root / "models" / "model.joblib")
    monkeypatch.setenv("MLMOM_USER", "alice")  # as a pipeline run she started would record
    mine = registration.register_model(
        model, test.drop(columns="churned").head(5), project=four_eyes
    )
    answer = await refused(
        jp_fetch, "registry/approve", {"version": mine.version, "reason": "mine"}, status=403
    )
    assert answer["code"] == "forbidden"
    assert answer["error"] == (
        f"four eyes: Alice (alice) registered version {mine.version}; someone else must approve it"
    )
    code, rejected = await call(
        jp_fetch, "registry/reject", {"version": mine.version, "reason": "not ready"}
    )
    assert code == 200 and rejected["status"] == "rejected"  # a veto of one's own is fine
    bad = await refused(jp_fetch, "registry/approve", {"version": "1"})
    assert "reason" in bad["error"]
    # the audit trail in the lab: newest first, both decisions with who and why
    _, audit = await call(jp_fetch, "audit", method="GET", limit="2")
    assert [(e["kind"], e["who"], e["why"]) for e in audit["events"]] == [
        ("approval", "Alice (alice)", "not ready"),
        ("registration", "alice", ""),
    ], audit["events"]
    assert audit["total"] > 2


async def test_the_registry_panel_opens_a_versions_model_card(jp_fetch, lab_root):
    response = await jp_fetch(
        "mlmom", "api", "registry", "card", params={"path": "churn", "version": "1"}
    )
    assert response.headers["Content-Type"].startswith("text/html")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    page = response.body.decode()
    assert "Model card: churn-classifier version 1" in page and "<table>" in page
    missing = await refused(jp_fetch, "registry/card", None, 404, method="GET", version="9")
    assert missing["code"] == "not_found"
