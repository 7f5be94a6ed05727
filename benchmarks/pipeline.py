"""Pipeline figures, measured side by side with papermill's own CLI in one run.

1. A second ``mlmom run`` of the unchanged example pipeline: every stage cached; wall time
   of the whole command, process start included (target: under 1.5 s).
2. Per-stage overhead (wall time minus the time of the notebook's own cells, as papermill
   records it per cell) of ``mlmom run --force`` next to ``papermill`` on the same notebook:
   for a one-stage project and per stage of a four-stage chain.

These machines are noisy: every figure is the median of several runs, commands alternate,
and the ratio is what to quote.

    python benchmarks/pipeline.py [--repeats 7] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SLEEP = 0.5  # seconds of "real work" in each benchmark notebook


def timed(cmd: list[str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - began


def cell_seconds(notebook: Path) -> float:
    """The notebook's own work: the sum of papermill's per-cell durations."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum(c["metadata"].get("papermill", {}).get("duration") or 0.0 for c in cells)


def cached_rerun(repeats: int, scratch: Path) -> dict:
    root = scratch / "example"
    shutil.copytree(
        REPO / "notebooks",
        root,
        ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports"),
    )
    first = timed([str(BIN / "mlmom"), "run"], root)
    times = [timed([str(BIN / "mlmom"), "run"], root) for _ in range(repeats)]
    return {
        "first_run_s": round(first, 2),
        "cached_rerun_median_s": round(statistics.median(times), 3),
        "cached_rerun_max_s": round(max(times), 3),
        "target_s": 1.5,
    }


def make_chain(root: Path, stages: int) -> None:
    """``stages`` stages of one notebook, each reading the previous stage's out."""
    sys.path.insert(0, str(REPO))
    from tests.helpers import notebook, spec

    notebook(
        root / "work.ipynb",
        f"seconds = {SLEEP}\nout = 'o0.txt'",
        "import time\ntime.sleep(seconds)",
        "import math\nx = sum(math.sqrt(i) for i in range(1000))",
        "open(out, 'w').write(str(x))",
    )
    spec(
        root,
        {
            f"s{i}": {
                "notebook": "work.ipynb",
                "params": {"seconds": SLEEP, "out": f"o{i}.txt"},
                **({"deps": [f"o{i - 1}.txt"]} if i else {}),
                "outs": [f"o{i}.txt"],
            }
            for i in range(stages)
        },
    )


def overhead(repeats: int, scratch: Path, stages: int) -> dict:
    root = scratch / f"chain{stages}"
    root.mkdir()
    make_chain(root, stages)
    subprocess.run([str(BIN / "mlmom"), "run"], cwd=root, check=True, capture_output=True)
    ours, theirs = [], []
    for _ in range(repeats):
        wall = timed([str(BIN / "mlmom"), "run", "--force"], root)
        run_dir = max((root / ".mlmom" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
        work = sum(cell_seconds(run_dir / f"s{i}.ipynb") for i in range(stages))
        ours.append((wall - work) / stages)
        began = time.perf_counter()
        for i in range(stages):
            out = scratch / f"pm{i}.ipynb"
            subprocess.run(
                [
                    str(BIN / "papermill"),
                    "--no-progress-bar",
                    str(root / "work.ipynb"),
                    str(out),
                    "-p",
                    "seconds",
                    str(SLEEP),
                    "-p",
                    "out",
                    f"o{i}.txt",
                    "--cwd",
                    str(root),
                ],
                check=True,
                capture_output=True,
            )
        wall = time.perf_counter() - began
        theirs.append(
            (wall - sum(cell_seconds(scratch / f"pm{i}.ipynb") for i in range(stages))) / stages
        )
    mine, peer = statistics.median(ours), statistics.median(theirs)
    return {
        "stages": stages,
        "mlmom_overhead_per_stage_s": round(mine, 3),
        "papermill_cli_overhead_per_stage_s": round(peer, 3),
        "ratio_mlmom_to_papermill": round(mine / peer, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlmom-bench-") as tmp:
        scratch = Path(tmp)
        results = {
            "cached": cached_rerun(args.repeats, scratch),
            "overhead_1_stage": overhead(args.repeats, scratch, 1),
            "overhead_4_stages": overhead(args.repeats, scratch, 4),
        }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
