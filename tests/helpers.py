"""Build small real projects (mlmom.yaml + notebooks) for tests."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import yaml

# a real `mlmom serve` on 127.0.0.1: (process, port) once it answers /ping
from mlmom_lab.serving.launch import start_server, wait_until_ready  # noqa: F401

# `mlmom ARGS` that also reports whether it imported the heavy libraries a read must not need
_READ_ONLY = """
import sys
from mlmom_lab.cli import main
sys.argv = ["mlmom", *sys.argv[1:]]
try:
    main()
finally:
    heavy = sorted(m for m in ("mlflow", "pandas", "sqlalchemy") if m in sys.modules)
    print("imported:", heavy, file=sys.stderr)
"""
# the environment under which every registry read goes through the MLflow client
THROUGH_MLFLOW = {"MLMOM_REGISTRY_READER": "mlflow"}


def read_only_mlmom(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """``mlmom ARGS`` as :func:`mlmom` runs it; stderr ends with ``imported: [...]``."""
    return _run([sys.executable, "-c", _READ_ONLY, *args], cwd, env)


def _run(command: list[str], cwd: Path, env: dict | None) -> subprocess.CompletedProcess:
    """A command as a user runs it in a terminal 200 columns wide, without colours."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600, check=False
    )


def notebook(path: Path, params: str, *cells: str) -> Path:
    """Write a notebook with a ``parameters`` cell and code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def spec(root: Path, stages: dict, **extra) -> Path:
    """Write ``mlmom.yaml`` for ``stages``."""
    body = {"project": "toy", "model": "toy-model", **extra, "stages": stages}
    path = root / "mlmom.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def mlmom(
    *args: str, cwd: Path, env: dict | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """Run the real ``mlmom`` command."""
    result = _run([str(Path(sys.executable).with_name("mlmom")), *args], cwd, env)
    if check and result.returncode != 0:
        raise AssertionError(f"mlmom {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def two_stage_project(root: Path) -> Path:
    """``make`` writes data/numbers.txt from ``n``; ``total`` sums it into total.txt."""
    notebook(
        root / "make.ipynb",
        "n = 3",
        "from pathlib import Path\nPath('data').mkdir(exist_ok=True)\n"
        "Path('data/numbers.txt').write_text('\\n'.join(map(str, range(n))))",
        "from mlmom_lab import track\ntrack.log_metric('count', n)",
    )
    notebook(
        root / "total.ipynb",
        "scale = 1.0",
        "from pathlib import Path\nvalues = [int(x) for x in Path('data/numbers.txt').read_text().split()]\n"
        "Path('total.txt').write_text(str(sum(values) * scale))",
        "from mlmom_lab import track\ntrack.log_metrics({'total': sum(values) * scale})",
    )
    spec(
        root,
        {
            "make": {"notebook": "make.ipynb", "params": {"n": 3}, "outs": ["data"]},
            "total": {
                "notebook": "total.ipynb",
                "params": {"scale": 1.0},
                "deps": ["data/numbers.txt"],
                "outs": ["total.txt"],
            },
        },
    )
    return root


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files in ``folder``."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlmom test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def get_when_up(url: str, proc: subprocess.Popen, log, timeout: float = 90.0) -> str:
    """The body of ``url`` once the server ``proc`` answers it; its log's tail if it never
    does (it exited, or ``timeout`` passed)."""
    if not wait_until_ready(url, proc, timeout):
        log.seek(0)
        raise AssertionError(f"{url} never answered:\n{log.read()[-3000:]}")
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


def log_predictions(project, batches, prefix: str) -> list[str]:
    """Log each DataFrame of ``batches`` as one request answered by the project's champion
    (its real predictions and probabilities), through the serving's own log writer."""
    import mlflow.sklearn

    from mlmom_lab.mlflow_clients import use_project
    from mlmom_lab.predictions.log import PredictionLog
    from mlmom_lab.registry import get_version

    champion = get_version(None, "champion", project)
    use_project(project)  # resolves the version's models:/ source
    model = mlflow.sklearn.load_model(champion.source)
    log, ids = PredictionLog(project.prediction_log_uri), []
    for i, rows in enumerate(batches):
        ids.append(f"{prefix}-{i}")
        log.record(
            request_id=ids[-1],
            model=champion.name,
            version=champion.version,
            route="champion",
            columns={c: rows[c].to_numpy() for c in rows.columns},
            outputs={"predict": model.predict(rows), "predict_proba": model.predict_proba(rows)},
            latency_ms=1.0,
        )
    log.close()
    return ids


# What a running server or a check leaves in a project: never carried into a copy.
RUNTIME_STATE = ("workers", "metrics", "server.json", "server.log", "monitoring", "mirror", "spill")
# MLflow's columns that hold where artifacts live (absolute paths in a local store)
ARTIFACT_COLUMNS = {
    "experiments": "artifact_location",
    "runs": "artifact_uri",
    "logged_models": "artifact_location",
    "model_versions": "storage_location",
}


def own_copy(project, root: Path, *, keep_log: bool = False, also_skip: tuple = ()):
    """A copy of ``project`` in ``root`` that a test may write to: its own (empty, unless
    ``keep_log``) prediction log, none of the original's server or monitoring state, and its
    MLflow store pointing at its own artifacts (a local store keeps absolute paths, so a plain
    copy would write new artifacts of old runs into the original). The loaded copy."""
    from fnmatch import fnmatch

    from mlmom_lab.project import load_project

    skip = (*RUNTIME_STATE, *also_skip, *(() if keep_log else ("predictions.db*",)))
    state = project.state_dir.resolve()

    def runtime_state(folder: str, names: list[str]) -> list[str]:
        # only in .mlmom itself: MLflow's artifacts have folders named "monitoring" too
        if Path(folder).resolve() != state:
            return []
        return [n for n in names if any(fnmatch(n, pattern) for pattern in skip)]

    shutil.copytree(project.root, root, ignore=runtime_state)
    store = root / ".mlmom" / "mlflow.db"
    if store.is_file():
        old, new = str(project.root), str(root.resolve())
        with sqlite3.connect(store) as conn:
            for table, column in ARTIFACT_COLUMNS.items():
                conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (old, new))
    return load_project(root)


def fingerprint(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time, but for caches that
    reads fill: the registered statistics downloaded into ``.mlmom/monitoring/<model>/``, the
    ``registered_model_meta`` MLflow writes beside a model it loads from a local store, and
    Python's bytecode of the project's modules (``churn_data.py``, imported by a model)."""

    def cache(path: Path) -> bool:
        parts = path.relative_to(folder).parts
        return (
            path.name == "registered_model_meta"
            or (parts[:2] == (".mlmom", "monitoring") and "reference" in parts)
            or "__pycache__" in parts
        )

    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not cache(p)
    }
