"""`mlmom monitor check --since 30d` on a prediction log of 100,000,000 rows, end to end.

The example pipeline registers its champion; the project's own prediction log (SQLite, the
default) is then filled with 100,000 batch-scoring requests of 1,000 customers each, spread
over the last 30 days: 1,000 distinct payloads from the example's generator (the later half
shifted, as the demo's market change), each with the champion's own answers, logged under
its own request id and time. Then, each in its own process, timed with its peak resident
memory (GNU time): the first `mlmom monitor mirror` (the whole log into daily Parquet files)
and `mlmom monitor check --since 30d --json`, whose window is over
`monitoring.at_scale.above_rows`, so DuckDB checks it over the mirror; then one more day of
traffic (1,000 requests) and the check again, which mirrors only that day.

    python benchmarks/check_at_scale.py [--requests 100000] [--rows-per-request 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAY = 86400.0
PAYLOADS = 1000


def example(root: Path) -> Path:
    shutil.copytree(REPO / "notebooks", root,
                    ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports"))  # fmt: skip
    subprocess.run([str(BIN / "mlmom"), "run"], cwd=root, check=True, capture_output=True)
    return root


def payloads(root: Path, count: int, rows: int) -> list[tuple[dict, dict]]:
    """(inputs, outputs) of ``count`` requests, as the server logs them: columns of values."""
    sys.path.insert(0, str(root))
    import numpy as np
    from churn_data import FEATURES, make_customers

    from mlmom_lab.mlflow_clients import use_project
    from mlmom_lab.project import load_project
    from mlmom_lab.registry import get_version, kinds

    project = load_project(root)
    use_project(project)
    model = kinds.load(get_version(None, "champion", project).source)
    found = []
    for i in range(count):
        frame = make_customers(rows, seed=10_000 + i, shift=0.0 if i < count // 2 else 1.0)
        features = frame[FEATURES]
        proba = model.predict_proba(features)
        present = features.astype(object).where(features.notna(), None)  # a gap is a null
        inputs = {c: present[c].tolist() for c in FEATURES}
        outputs = {"predict": np.argmax(proba, axis=1).tolist(), "predict_proba": proba.tolist()}
        found.append((inputs, outputs))
    return found


def fill_log(root: Path, requests: int, rows: int, first: float, last: float) -> float:
    """Log ``requests`` requests evenly from ``first`` to ``last``; seconds taken."""
    from mlmom_lab.predictions.database import SQLiteStore

    began = time.perf_counter()
    made = payloads(root, min(PAYLOADS, requests), rows)
    store = SQLiteStore(root / ".mlmom" / "predictions.db")
    step = (last - first) / max(requests - 1, 1)
    chunk = []
    for i in range(requests):
        inputs, outputs = made[i * len(made) // requests]
        ts = first + i * step
        chunk.append((f"batch-{first:.0f}-{i}", ts, "churn-classifier", "1", "champion", rows,
                      inputs, outputs, 40.0))  # fmt: skip
        if len(chunk) == 200:
            store.write_predictions(chunk)
            chunk = []
    if chunk:
        store.write_predictions(chunk)
    store.close()
    return time.perf_counter() - began


def timed(root: Path, *args: str) -> dict:
    """One ``mlmom`` command in its own process: wall seconds, peak memory, its output."""
    report = root / ".time"
    began = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", "-o", str(report), str(BIN / "mlmom"), *args],
                          cwd=root, capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - began
    peak = next(int(line.split()[-1]) for line in report.read_text().splitlines()
                if "Maximum resident set size" in line)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"mlmom {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_mib": round(peak / 1024), "stdout": done.stdout}


def with_above_rows(root: Path, rows: int) -> None:
    import yaml

    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec.setdefault("monitoring", {}).setdefault("at_scale", {})["above_rows"] = rows
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def summary(check: dict) -> dict:
    found = json.loads(check.pop("stdout"))
    drifted = [c["column"] for c in found["features"]["columns"] if c["drifted"]]
    return {**check, "rows": found["rows"], "requests": found["requests"],
            "drifted": drifted, "at_scale": found["at_scale"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rows-per-request", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="a folder to keep the project in")
    parser.add_argument("--above-rows", type=int, help="monitoring.at_scale.above_rows (a trial)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlmom-check-at-scale-") as tmp:
        root = example((args.keep or Path(tmp)) / "churn")
        if args.above_rows is not None:
            with_above_rows(root, args.above_rows)
        now = time.time()
        results = {"log_rows": args.requests * args.rows_per_request}
        results["fill_s"] = round(fill_log(root, args.requests, args.rows_per_request,
                                           now - 30 * DAY + 3600, now - 2 * DAY), 1)  # fmt: skip
        results["log_gb"] = round((root / ".mlmom" / "predictions.db").stat().st_size / 1e9, 2)
        mirrored = timed(root, "monitor", "mirror")
        results["first_mirror"] = {**mirrored, "stdout": mirrored["stdout"].strip()}
        results["check"] = summary(timed(root, "monitor", "check", "--since", "30d", "--json"))
        fill_log(root, PAYLOADS, args.rows_per_request, now - 2 * DAY + 60, now - DAY)
        results["check_next_day"] = summary(
            timed(root, "monitor", "check", "--since", "30d", "--json")
        )
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
