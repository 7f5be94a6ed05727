"""Prediction-log writes: PostgreSQL next to SQLite under the same load, one run.

The example's champion served by ``mlmom serve`` with 2 workers, its prediction log in the
project's SQLite file or in a PostgreSQL database (Debian's server, started for the run as the
tests start it: ``tests/services.py``), in ``fast`` and ``safe`` durability; wrk posts one row
to ``/invocations`` at 8 connections. After a graceful stop, the log is counted: every
acknowledged prediction must be there once. Quote ratios; these machines are noisy.

    python benchmarks/log_stores.py [--seconds 10] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.serving import BIN, prepare_project, serve, wrk
from mlmom_lab.serving.launch import free_port
from tests.services import postgres


def with_log(root: Path, uri: str, durability: str) -> None:
    spec = yaml.safe_load((root / "mlmom.yaml").read_text())
    spec.setdefault("serving", {})["log"] = {"uri": uri, "durability": durability}
    (root / "mlmom.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def logged(uri: str) -> tuple[int, int]:
    """Predictions in the log, and distinct request ids among them."""
    import sqlalchemy as sa

    from mlmom_lab.predictions.database import engine  # creates the tables when absent

    with engine(uri).connect() as conn:
        found = conn.execute(
            sa.text("SELECT COUNT(*), COUNT(DISTINCT request_id) FROM predictions")
        ).one()
    return int(found[0]), int(found[1])


def one(root: Path, scratch: Path, uri: str, durability: str, seconds: int) -> dict:
    with_log(root, uri, durability)
    before, _ = logged(uri)
    port = free_port()
    proc = serve([str(BIN / "mlmom"), "serve", "--workers", "2", "--port", str(port)],
                 root, port, "/ping")  # fmt: skip
    try:
        found = wrk(port, 8, seconds, scratch)
    finally:
        proc.terminate()  # graceful: the workers flush what they hold
        proc.wait(timeout=120)
    rows, distinct = logged(uri)
    acknowledged = found["requests"] - found["non_2xx"]
    return {
        "rps": found["rps"],
        "p99_ms": found["p99_ms"],
        "acknowledged": acknowledged,
        "logged": rows - before,
        "missing": max(0, acknowledged - (rows - before)),
        "twice": rows - distinct,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="mlmom-log-bench-") as tmp, postgres() as pg:
        scratch = Path(tmp)
        root = prepare_project(scratch)
        stores = {"sqlite": f"sqlite:///{root / '.mlmom' / 'predictions.db'}",
                  "postgresql": pg.database("predictions")}  # fmt: skip
        for durability in ("fast", "safe"):
            for name, uri in stores.items():
                key = f"{name}-{durability}"
                results[key] = one(root, scratch, uri, durability, args.seconds)
                print(key, results[key], file=sys.stderr, flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
