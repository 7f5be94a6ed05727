"""The nbdev guide in nbs/ is documentation that runs: every example is executed here."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_nbdev_guide_runs():
    nbdev_test = Path(sys.executable).with_name("nbdev-test")
    result = subprocess.run(
        [str(nbdev_test), "nbs", "--n-workers", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Success" in result.stdout + result.stderr
