"""Drift figures: our per-column check next to Evidently's DataDriftPreset, same frames, one run.

1,000,000 rows x 12 mixed columns on each side (seeded), each tool in its own process so
its peak memory is its own: wall time of the whole check, peak resident memory added by the
check (Linux VmHWM, reset once the data exists), and whether the per-column verdicts agree.
Then one window of 10,000 rows against stored reference statistics. Quote medians and ratios.

    python benchmarks/drift.py [--rows 1000000] [--repeats 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
os.environ["EVIDENTLY_DISABLE_TELEMETRY"] = "1"
sys.path.insert(0, {repo!r})
import numpy as np, pandas as pd
from benchmarks.drift import frames

def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

reference, current = frames({rows})
tool = {tool!r}
if tool == "evidently":
    from evidently import Report
    from evidently.presets import DataDriftPreset
else:
    from mlmom_lab.monitoring import check_drift
    import scipy.spatial, scipy.stats  # imported lazily by us, by Evidently at its import
open("/proc/self/clear_refs", "w").write("5")  # peak memory from here on
base = peak_kib()
began = time.perf_counter()
if tool == "evidently":
    result = Report([DataDriftPreset()]).run(current, reference).dict()
    verdicts = {{}}
    from mlmom_lab.monitoring.stattests import TESTS
    names = {{t.display_name: t for t in TESTS.values()}}
    for m in result["metrics"]:
        if m["metric_name"].startswith("ValueDrift("):
            c = m["config"]
            verdicts[c["column"]] = names[c["method"]].drifted(m["value"], c["threshold"])
else:
    verdicts = {{c.column: c.drifted for c in check_drift(reference, current).columns}}
seconds = time.perf_counter() - began
print(json.dumps({{"seconds": seconds, "peak_mib": (peak_kib() - base) / 1024,
                  "verdicts": verdicts}}))
"""


def frames(rows: int, seed: int = 42):
    """A reference and a current frame: 12 mixed columns, some of them shifted."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def one(n: int, shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "num_normal": rng.normal(shift, 1, n),
                "num_skewed": rng.lognormal(0, 1 + shift, n),
                "num_uniform": rng.uniform(0, 10, n),
                "num_missing": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 2, n)),
                "num_rounded": np.round(rng.normal(50 + 5 * shift, 10, n), 1),
                "int_counts": rng.poisson(20 + 3 * shift, n),
                "int_ids": rng.integers(0, 5000, n),
                "int_levels": rng.integers(0, 5, n),
                "int_flags": rng.integers(0, 2, n),
                "cat_plan": rng.choice(
                    ["basic", "plus", "pro", "team"],
                    n,
                    p=[0.4, 0.3, 0.2, 0.1] if not shift else [0.25] * 4,
                ),
                "cat_region": rng.choice([f"r{i}" for i in range(12)], n),
                "cat_binary": rng.choice(["yes", "no"], n),
            }
        )

    return one(rows, 0.0), one(rows, 0.3)


def run_child(tool: str, rows: int) -> dict:
    code = CHILD.format(repo=str(REPO), rows=rows, tool=tool)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def window_check(rows: int, repeats: int) -> dict:
    """A 10,000-row window against reference statistics stored on disk, loading included."""
    import time

    from mlmom_lab.monitoring import ReferenceStats, check_drift, reference_stats

    reference, current = frames(rows)
    window = current.sample(10_000, random_state=0)
    times, load_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        reference_stats(reference).save(Path(tmp))
        for _ in range(repeats):
            began = time.perf_counter()
            stats = ReferenceStats.load(Path(tmp))
            loaded = time.perf_counter()
            check_drift(stats, window)
            times.append(time.perf_counter() - began)
            load_times.append(loaded - began)
    return {
        "window_rows": 10_000,
        "median_seconds": statistics.median(times),
        "median_load_seconds": statistics.median(load_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = {
        tool: [run_child(tool, args.rows) for _ in range(args.repeats)]
        for tool in ("mlmom", "evidently")
    }
    summary = {
        tool: {
            "median_seconds": statistics.median(r["seconds"] for r in rs),
            "median_peak_mib": statistics.median(r["peak_mib"] for r in rs),
        }
        for tool, rs in runs.items()
    }
    ours, theirs = runs["mlmom"][0]["verdicts"], runs["evidently"][0]["verdicts"]
    results = {
        "rows_per_side": args.rows,
        "columns": 12,
        **summary,
        "speedup": summary["evidently"]["median_seconds"] / summary["mlmom"]["median_seconds"],
        "memory_ratio": summary["evidently"]["median_peak_mib"]
        / summary["mlmom"]["median_peak_mib"],
        "verdicts_identical": ours == theirs,
        "drifted_columns": sorted(c for c, d in ours.items() if d),
        "window": window_check(args.rows, args.repeats),
    }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
