"""The example pipeline on a team's tracking server next to the same pipeline on local SQLite.

The server is MLflow on PostgreSQL (Debian's) with its artifacts proxied to S3 (moto_server as
the endpoint) and basic authentication, started as the tests start them
(``tests/services.py``). Two copies of the example each run ``mlmom run`` once (every stage
runs, the register stage registers the model with its ONNX twin, statistics and
explanations), then again unchanged several times (every stage cached: the target is under
1.5 s). Per-stage seconds come from the stage cache's records. One run; quote ratios.

    python benchmarks/team_pipeline.py [--repeats 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.services import ADMIN, mlflow_server, postgres, s3

BIN = Path(sys.executable).parent


def example(root: Path, tracking_uri: str | None) -> Path:
    shutil.copytree(REPO / "notebooks", root,
                    ignore=shutil.ignore_patterns(".mlmom", "data", "models", "reports"))  # fmt: skip
    if tracking_uri:
        spec = yaml.safe_load((root / "mlmom.yaml").read_text())
        spec.setdefault("stores", {})["tracking_uri"] = tracking_uri
        (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def timed_run(root: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([str(BIN / "mlmom"), "run"], cwd=root, check=True, capture_output=True,
                   env={**os.environ, **env})  # fmt: skip
    return time.perf_counter() - began


def stage_seconds(root: Path) -> dict[str, float]:
    found = {}
    for record in (root / ".mlmom" / "cache" / "stages").glob("*/latest.json"):
        found[record.parent.name] = round(json.loads(record.read_text())["seconds"], 2)
    return found


def measure(root: Path, env: dict[str, str], repeats: int) -> dict:
    first = timed_run(root, env)
    stages = stage_seconds(root)
    again = [timed_run(root, env) for _ in range(repeats)]
    return {
        "first_run_s": round(first, 2),
        "stage_s": stages,
        "cached_rerun_median_s": round(statistics.median(again), 3),
        "cached_rerun_max_s": round(max(again), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="mlmom-team-bench-") as tmp:
        scratch = Path(tmp)
        local = example(scratch / "local", None)
        # each side starts with no remembered requirements: MLflow infers them on both
        fresh = {"MLMOM_CACHE_DIR": str(scratch / "cache-local")}
        results["sqlite"] = measure(local, fresh, args.repeats)
        with postgres() as pg, s3(scratch / "s3.log") as store:
            backend, auth = pg.database("mlflow"), pg.database("auth")
            with mlflow_server(backend, store.bucket("mlflow"), store.endpoint,
                               scratch / "mlflow.log", auth) as uri:  # fmt: skip
                team = example(scratch / "team", uri)
                login = {"MLFLOW_TRACKING_USERNAME": ADMIN[0], "MLFLOW_TRACKING_PASSWORD": ADMIN[1],
                         "MLMOM_CACHE_DIR": str(scratch / "cache-team")}  # fmt: skip
                results["tracking_server"] = measure(team, login, args.repeats)
    local_register = results["sqlite"]["stage_s"].get("register", 0.0)
    team_register = results["tracking_server"]["stage_s"].get("register", 0.0)
    results["register_overhead_s"] = round(team_register - local_register, 2)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
