"""Serving figures per model kind, side by side in one run.

The example's champion (a random forest or an XGBoost behind a ColumnTransformer), an
XGBoost and a LightGBM model behind the same preprocessing, and an ONNX network (an MLP
exported with skl2onnx, registered as the graph itself), all trained on the example's data
and registered in one scratch project. Each is served by `mlmom serve` (with its
parity-checked ONNX twin, and with `--native`: the model itself, the path every model
without a twin takes), by `mlflow models serve`, and by MLServer with its MLflow runtime;
each server with 2 workers (and `mlflow models serve` once more as it starts by default,
with 1). The same one-row `/invocations` request (MLflow's protocol, which
all of them answer) is driven by wrk at 1, 8 and 64 connections. It also reports each
version's parity figures (max difference, labels changed). Needs wrk (Debian: apt-get install
wrk) and MLServer in a virtual environment of its own (it pins its own dependencies):

    python3 -m venv /tmp/mlserver && /tmp/mlserver/bin/pip install mlserver mlserver-mlflow \\
        scikit-learn skops xgboost-cpu lightgbm onnxruntime "uvloop<0.22"

(MLServer 1.7's parallel workers call ``asyncio.get_event_loop()`` in a fresh process, which
uvloop 0.22 turns into an error: every worker dies and the model never loads.)
    python benchmarks/kinds.py --mlserver /tmp/mlserver/bin [--seconds 10] [--json out.json]

These machines are noisy: quote medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from serving import BIN, prepare_project, serve
from serving import wrk as serving_wrk

from mlmom_lab.serving.launch import free_port

WORKERS = 2
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "age"]


def register_kinds(root: Path) -> dict[str, dict]:
    """The four models as versions of the example's model: name -> version and a request row."""
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.base import clone
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlmom_lab import registration, registry
    from mlmom_lab.mlflow_clients import use_project
    from mlmom_lab.project import load_project
    from mlmom_lab.registry.kinds import load

    project = load_project(root)
    use_project(project)  # models:/ URIs resolve in the project's store
    train = pd.read_parquet(root / "data" / "train.parquet")
    test = pd.read_parquet(root / "data" / "test.parquet")
    target = "churned"
    features = [c for c in train.columns if c != target]
    champion = registry.get_version(None, "champion", project)
    forest = load(champion.source)
    row = test[features].head(1)
    algorithm = type(forest.steps[-1][1]).__name__  # the example's search picks either
    kinds = {f"example champion ({algorithm})": {"version": champion.version, "row": row}}
    for name, booster in boosters().items():
        model = clone(forest).set_params(**{forest.steps[-1][0]: booster})
        model.fit(train[features], train[target])
        info = registration.register_model(
            model,
            test[features].head(5),
            held_out=test[features],
            held_out_target=test[target],
            project=project,
            description=f"{name}, benchmark",
        )
        kinds[name] = {"version": info.version, "row": row}
    net = make_pipeline(StandardScaler(), MLPClassifier((32, 16), max_iter=300, random_state=0))
    numeric = train[NUMERIC].fillna(0).astype("float32")
    net.fit(numeric, train[target])
    graph = to_onnx(net, numeric.to_numpy()[:1], options={"zipmap": False})
    held_out = test[NUMERIC].fillna(0).astype("float32")
    info = registration.register_model(
        graph, held_out.head(5), held_out=held_out, task="classification", project=project
    )
    kinds["ONNX MLP"] = {"version": info.version, "row": held_out.head(1)}
    for entry in kinds.values():
        version = registry.get_version(None, entry["version"], project)
        entry["onnx"] = {k: version.onnx.get(k) for k in ("status", "max_diff", "reason")}
    return kinds


def boosters() -> dict:
    import lightgbm
    import xgboost

    return {
        "XGBoost": xgboost.XGBClassifier(n_estimators=200, max_depth=4, n_jobs=1),
        "LightGBM": lightgbm.LGBMClassifier(n_estimators=200, n_jobs=1, verbose=-1),
    }


def body_of(row) -> str:
    """The one-row ``/invocations`` request every server gets (MLflow's dataframe_split)."""
    return json.dumps(
        {
            "dataframe_split": {
                "columns": list(row.columns),
                "data": json.loads(row.to_json(orient="values")),
            }
        }
    )


def wrk(port: int, row, connections: int, seconds: float, scratch: Path) -> dict:
    return serving_wrk(port, connections, seconds, scratch, body_of(row))


def measure(
    label: str, proc, port: int, row, seconds: float, scratch: Path, version: str | None = None
) -> dict:
    try:
        status, answer = ask(port, row, version)
        if status != 200:  # a server that refuses the request is reported, not timed
            print(f"{label}: {status} {answer}", file=sys.stderr, flush=True)
            return {"error": f"HTTP {status}: {answer}"}
        wrk(port, row, 8, 2, scratch)  # warm-up
        results = {}
        for c in (1, 8, 64):
            results[f"c{c}"] = wrk(port, row, c, seconds, scratch)
            print(f"{label} c{c}: {results[f'c{c}']}", file=sys.stderr, flush=True)
        return results
    finally:
        stop(proc)


def stop(proc) -> None:
    """Stop a server and its worker processes (MLServer 1.7 may hang on SIGTERM)."""
    import psutil

    children = psutil.Process(proc.pid).children(recursive=True)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass  # gone with its parent


def ask(port: int, row, expected: str | None = None) -> tuple[int, str]:
    """One request of the benchmark's body: the status and the start of the answer."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        body_of(row).encode(),
        {"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            served = response.headers.get("x-mlmom-version")  # mlmom serve says which version
            if served is not None and served != expected:
                return 0, f"served version {served}, not {expected}"
            return response.status, response.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(300).decode(errors="replace")


def mlserver(bin_dir: Path, model_dir: Path, scratch: Path, port: int):
    """MLServer serving the MLflow model in ``model_dir`` with its MLflow runtime."""
    folder = scratch / "mlserver"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "model").mkdir(parents=True)
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "http_port": port,
                "grpc_port": free_port(),
                "metrics_port": free_port(),
                "parallel_workers": WORKERS,
            }
        )
    )
    (folder / "model" / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "model",
                "implementation": "mlserver_mlflow.MLflowRuntime",
                "parameters": {"uri": str(model_dir)},
            }
        )
    )
    return serve(
        [str(bin_dir / "mlserver"), "start", str(folder)], folder, port, "/v2/health/ready"
    )


def serve_all(root: Path, scratch: Path, kind: str, entry: dict, args) -> dict:
    import mlflow

    from mlmom_lab import registry, release
    from mlmom_lab.mlflow_clients import use_project
    from mlmom_lab.project import load_project

    project = load_project(root)
    version, row = entry["version"], entry["row"]
    if registry.get_version(None, "champion", project).version != version:
        # the deployment, not only the alias: it is what `mlmom serve` serves
        release.assign(version, project=project, reason=f"benchmark: {kind}")
    results = {}
    for label, extra in (("mlmom_serve", []), ("mlmom_serve_native", ["--native"])):
        port = free_port()
        results[label] = measure(
            f"{kind} {label}",
            serve(
                [
                    str(BIN / "mlmom"),
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(WORKERS),
                    *extra,
                ],
                root,
                port,
                "/ping",
            ),
            port,
            row,
            args.seconds,
            scratch,
            version=str(version),
        )
    uri = f"models:/churn-classifier/{version}"
    tracking = {"MLFLOW_TRACKING_URI": f"sqlite:///{root}/.mlmom/mlflow.db"}
    # with 2 workers like the others, and as `mlflow models serve` starts by default (1)
    for label, workers in (("mlflow_models_serve", WORKERS), ("mlflow_models_serve_default", 1)):
        port = free_port()
        results[label] = measure(
            f"{kind} {label}",
            serve(
                [
                    str(BIN / "mlflow"),
                    "models",
                    "serve",
                    "-m",
                    uri,
                    "-p",
                    str(port),
                    "-w",
                    str(workers),
                    "--env-manager",
                    "local",
                ],
                root,
                port,
                "/ping",
                tracking,
            ),
            port,
            row,
            args.seconds,
            scratch,
        )
    if args.mlserver:
        use_project(project)
        model_dir = Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(scratch / kind)))
        port = free_port()
        try:
            proc = mlserver(args.mlserver, model_dir, scratch, port)
        except RuntimeError as exc:  # a peer that cannot serve this kind: say why, go on
            results["mlserver"] = {"error": str(exc)[-1500:]}
        else:
            results["mlserver"] = measure(
                f"{kind} mlserver", proc, port, row, args.seconds, scratch
            )
    return results


def ratios(results: dict) -> dict:
    """mlmom (twin, and native) over each peer, per connection count."""
    out = {}
    for ours in ("mlmom_serve", "mlmom_serve_native"):
        for peer in ("mlflow_models_serve", "mlflow_models_serve_default", "mlserver"):
            if "c1" in results.get(peer, {}):
                out[f"{ours}/{peer}"] = {
                    c: round(results[ours][c]["rps"] / results[peer][c]["rps"], 1)
                    if results[peer][c]["rps"]
                    else None
                    for c in ("c1", "c8", "c64")
                }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--mlserver", type=Path, help="the bin folder of MLServer's venv")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlmom-kinds-bench-") as tmp:
        scratch = Path(tmp)
        root = prepare_project(scratch)
        kinds = register_kinds(root)
        report = {}
        for kind, entry in kinds.items():
            served = serve_all(root, scratch, kind, entry, args)
            report[kind] = {
                "version": entry["version"],
                "onnx": entry["onnx"],
                "servers": served,
                "ratios": ratios(served),
            }
    print(json.dumps(report, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
