"""Model cards of the example's champion: what they say, the copy logged with the version by
the quality gate, the self-contained HTML, and a project's own template."""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml

from mlmom_lab.cards import ARTIFACT_PATH
from mlmom_lab.registry import approvals, get_version
from mlmom_lab.registry.reading import reader_for

from .helpers import mlmom, own_copy


@pytest.fixture
def project(example_run, tmp_path):
    return own_copy(example_run[0], tmp_path / "churn")


def test_the_card_says_what_an_auditor_asks(project):
    approvals.approve("1", "gate passed, card read", project=project, who="bob")
    card = mlmom("card", "1", cwd=project.root, check=True).stdout
    assert card.startswith("# Model card: churn-classifier version 1\n")
    assert "| Owner | Customer analytics |" in card
    assert "Rank existing customers by their risk of cancelling" in card  # intended use
    evaluation = project.root / "data" / "evaluation.parquet"
    sha = hashlib.sha256(evaluation.read_bytes()).hexdigest()
    assert f"| `data/evaluation.parquet` | `{sha}` |" in card  # training data lineage
    assert "### Quality gate: passed" in card and "| fairness age_band |" in card
    assert "### age_band" in card
    for band in ("18-34", "35-49", "50-64", "65+", "(missing)"):
        assert re.search(rf"^\| {re.escape(band)} \| \d+ \|", card, re.MULTILINE), band
    gap = re.search(r"^\| \*\*gap\*\* \(best - worst\) \| \|(.*)$", card, re.MULTILINE)
    assert gap and re.search(r"\d\.\d{4}", gap.group(1))
    assert "| contract |" in card  # top features by SHAP
    assert "**approved** by bob: gate passed, card read" in card
    assert "| Approval | approved by bob: gate passed, card read |" in card


def test_the_gate_logged_the_card_with_the_version(project):
    info = get_version(None, "1", project)
    logged = reader_for(project).run_file(info.run_id, f"{ARTIFACT_PATH}/model_card.md")
    assert logged.decode().startswith("# Model card: churn-classifier version 1")
    assert "### Quality gate: passed" in logged.decode()


def test_the_html_card_stands_alone(project, tmp_path):
    out = tmp_path / "card.html"
    mlmom("card", "champion", "--html", "-o", str(out), cwd=project.root, check=True)
    page = out.read_text()
    assert page.startswith("<!doctype html>") and page.count("<table>") >= 5
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from anywhere


def test_a_project_writes_its_own_card_and_a_broken_one_is_named(project):
    (project.root / "card.md.j2").write_text(
        "{{ owner }} answers for v{{ version.version }} ({{ gate.status }})\n"
    )
    raw = yaml.safe_load(project.spec_path.read_text())
    raw["governance"]["card_template"] = "card.md.j2"
    project.spec_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    done = mlmom("card", "1", cwd=project.root, check=True)
    assert done.stdout == "Customer analytics answers for v1 (passed)\n"
    (project.root / "card.md.j2").write_text("line one\n{% for x in %}\n")
    bad = mlmom("card", "1", cwd=project.root)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "governance.card_template: card.md.j2 line 2:" in bad.stderr
