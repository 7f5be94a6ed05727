"""The types hold: mypy, with the configuration in pyproject.toml (``[tool.mypy]``: strict on
the core, the base checks on the interfaces), finds nothing in the package; and no override
loosens a strict flag for a module of the core (workflows, concerns, foundation)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
INTERFACES = {"mlmom_lab.cli.*", "mlmom_lab.server.*", "mlmom_lab.dashboards.*", "mlmom_lab.demo.*"}
STRICT_FLAGS = {
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_calls",
    "disallow_untyped_decorators",
    "disallow_any_generics",
    "disallow_subclassing_any",
    "check_untyped_defs",
    "warn_return_any",
    "warn_unused_ignores",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
}


def test_mypy_finds_nothing_in_the_package():
    mypy = Path(sys.executable).parent / "mypy"
    out = subprocess.run(
        [str(mypy), "mlmom_lab"],  # the configuration and the cache (.mypy_cache) of the repo
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def test_the_core_is_strict():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    loosened = {
        module
        for override in config.get("overrides", [])
        if any(override.get(flag) is False for flag in STRICT_FLAGS)
        for module in (
            override["module"] if isinstance(override["module"], list) else [override["module"]]
        )
    }
    assert loosened <= INTERFACES, f"strict flags turned off for the core: {loosened - INTERFACES}"
    assert not any(o.get("ignore_errors") for o in config.get("overrides", [])), (
        "no module is exempt"
    )
