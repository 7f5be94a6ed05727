"""The frontend's own checks pass: ESLint and Prettier with the JupyterLab extension
template's settings (`jlpm lint:check`), and the Jest tests of its models (`jlpm test`).

They run in ``labextension/`` with the node_modules that ``pip install -e`` left there
(the build hook runs ``jlpm install``, then ``jlpm build``, which also generates src/wire/)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.unit

FRONTEND = REPO / "labextension"
BIN = Path(sys.executable).parent


def jlpm(script: str) -> subprocess.CompletedProcess:
    assert (FRONTEND / "node_modules").is_dir(), (
        "run `pip install -e .` first (it runs jlpm install)"
    )
    # the package.json scripts call `jlpm` again: it must be on the PATH
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "true"}
    return subprocess.run(
        [str(BIN / "jlpm"), script],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_eslint_and_prettier_find_nothing():
    out = jlpm("lint:check")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_the_models_jest_tests_pass():
    out = jlpm("test")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    summary = re.search(r"^Tests: +(.*)$", out.stderr, re.MULTILINE)
    assert summary, out.stderr[-2000:]
    assert re.fullmatch(r"\d+ passed, \d+ total", summary[1]), summary[0]  # none skipped
