"""Serving figures: `mlmom serve` next to `mlflow models serve` and a bare ASGI app, one run.

Each server gets its default settings and the same one-row `/invocations` request
(MLflow's protocol, which all three answer), driven by wrk at 1, 8 and 64 connections.
Then 20 promote/rollback flips during a 30 s load at 64 connections count failed requests.
Needs wrk (Debian: apt-get install wrk). These machines are noisy: quote medians and ratios.

    python benchmarks/serving.py [--seconds 10] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from example import copy_example

from mlmom_lab.serving.launch import free_port, wait_until_ready

BIN = Path(sys.executable).parent
ROW = {
    "tenure_months": 3,
    "monthly_charges": 90.5,
    "total_charges": 271.5,
    "contract": "month-to-month",
    "internet_service": "fiber",
    "payment_method": "electronic-check",
    "support_calls": 4,
    "age": 30.0,
}
BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"predictions":[1]}'})
"""


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    if not wait_until_ready(url, proc, timeout):
        proc.stdout.seek(0)
        raise RuntimeError(f"{url} never answered: {proc.stdout.read()[-2000:]}")


def wrk(
    port: int, connections: int, seconds: float, scratch: Path, body: str | None = None
) -> dict:
    """wrk POSTing ``body`` (default: one row of the example) to ``/invocations``."""
    script = scratch / "post.lua"
    body = body or json.dumps(
        {"dataframe_split": {"columns": list(ROW), "data": [list(ROW.values())]}}
    )
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{int(seconds)}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/invocations",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.MULTILINE)) or {
        "50": "0ms",
        "90": "0ms",
        "99": "0ms",
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms(pct["50"]),
        "p90_ms": ms(pct["90"]),
        "p99_ms": ms(pct["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def prepare_project(scratch: Path) -> Path:
    root = copy_example(scratch / "churn")
    for extra in ([], ["-p", "train.seed=11"]):  # a champion and a second version to flip to
        subprocess.run(
            [str(BIN / "mlmom"), "run", *extra], cwd=root, check=True, capture_output=True
        )
    return root


def serve(cmd: list[str], cwd: Path, port: int, health: str, env: dict | None = None):
    # Output to a file, never an unread pipe: `mlflow models serve` logs every request, and
    # once a pipe's 64 KiB fill up the server stalls (an earlier run of this script measured
    # that stall, not MLflow: 0 requests at 8 connections).
    output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - the server's, while it runs
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {}), "PATH": f"{BIN}:{os.environ['PATH']}"},
    )
    proc.stdout = output
    wait_ready(f"http://127.0.0.1:{port}{health}", proc)
    return proc


def measure(name: str, proc: subprocess.Popen, port: int, seconds: float, scratch: Path) -> dict:
    try:
        wrk(port, 8, 2, scratch)  # warm-up
        results = {}
        for c in (1, 8, 64):
            results[f"c{c}"] = wrk(port, c, seconds, scratch)
            print(f"{name} c{c}: {results[f'c{c}']}", file=sys.stderr, flush=True)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def flips(root: Path, scratch: Path) -> dict:
    """20 promote/rollback flips during a 30 s load at 64 connections, each one live on
    the worker before the next."""
    from mlmom_lab import release
    from mlmom_lab.project import load_project
    from mlmom_lab.serving import deployment

    project = load_project(root)
    port = free_port()
    proc = serve([str(BIN / "mlmom"), "serve", "--port", str(port)], root, port, "/ping")
    result: dict = {}
    load = threading.Thread(target=lambda: result.update(wrk(port, 64, 30, scratch)))
    try:
        load.start()
        time.sleep(2)
        other = "2" if deployment.current(project).champion == "1" else "1"
        done = 0
        for i in range(10):
            release.canary(project, other, 0.5, reason=f"bench flip {i}")
            release.promote(project, reason=f"bench flip {i}")
            done += 1
            release.rollback(project, reason=f"bench flip {i}")
            done += 1
            time.sleep(0.5)  # spreads the flips over the load's 30 s
        load.join()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {"flips": done, **result}


def ratio(ours: float, theirs: float, digits: int) -> float | None:
    """ours / theirs; None when the peer answered nothing in time (see its socket errors)."""
    return round(ours / theirs, digits) if theirs else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlmom-serving-bench-") as tmp:
        scratch = Path(tmp)
        root = prepare_project(scratch)
        results = {}
        port = free_port()
        results["mlflow_models_serve"] = measure(
            "mlflow",
            serve(
                [
                    str(BIN / "mlflow"),
                    "models",
                    "serve",
                    "-m",
                    "models:/churn-classifier@champion",
                    "-p",
                    str(port),
                    "--env-manager",
                    "local",
                ],
                root,
                port,
                "/ping",
                {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/.mlmom/mlflow.db"},
            ),
            port,
            args.seconds,
            scratch,
        )
        port = free_port()
        results["mlmom_serve"] = measure(
            "mlmom",
            serve([str(BIN / "mlmom"), "serve", "--port", str(port)], root, port, "/ping"),
            port,
            args.seconds,
            scratch,
        )
        (scratch / "bare.py").write_text(BARE_APP)
        port = free_port()
        results["bare_asgi"] = measure(
            "bare",
            serve(
                [
                    str(BIN / "uvicorn"),
                    "bare:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    "--http",
                    "httptools",
                    "--loop",
                    "uvloop",
                ],
                scratch,
                port,
                "/",
            ),
            port,
            args.seconds,
            scratch,
        )
        results["flips_under_load"] = flips(root, scratch)
    c8 = {k: v["c8"]["rps"] for k, v in results.items() if "c8" in v}
    results["ratios_at_8_connections"] = {
        "mlmom_to_mlflow": ratio(c8["mlmom_serve"], c8["mlflow_models_serve"], 1),
        "mlmom_to_bare_asgi": ratio(c8["mlmom_serve"], c8["bare_asgi"], 2),
    }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
