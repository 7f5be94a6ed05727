"""The team's engines, started for real on 127.0.0.1 for a test session (or a benchmark):
PostgreSQL from Debian's package, an S3 endpoint and an MLflow tracking server on PostgreSQL
whose artifacts it proxies to that S3.

There is no real S3 server on the package registries this project installs from (no MinIO,
SeaweedFS or Garage), so S3 is ``moto_server`` (moto's standalone S3, the stand-in MLflow's
own tests use): the same HTTP API and client (boto3), its objects in memory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlmom_lab.serving.launch import free_port

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "mlmom-test",
    "AWS_SECRET_ACCESS_KEY": "mlmom-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def wait_for(ready, what: str, timeout: float = 60.0, process=None) -> None:
    """Poll ``ready()`` until it is true; fail naming ``what`` (and its exit, if it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    return found[-1].parent


PASSWORD = "mlmom-test"  # of the clusters' ``postgres`` role (a wrong one must be refused)


@dataclass
class Postgres:
    """A PostgreSQL cluster of its own in ``folder``; its ``postgres`` role has a password."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{self.port}"

    def database(self, name: str) -> str:
        """A new, empty database: its SQLAlchemy URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [str(_pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-Atc", sql],
            capture_output=True, text=True, timeout=60, check=True,
            env={**os.environ, "PGPASSWORD": PASSWORD},
        )  # fmt: skip
        return out.stdout.strip()

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        command = [str(_pg_bin() / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options,
                   "-l", str(self.folder / "server.log"), "-w", *args]  # fmt: skip
        _run(command)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A new cluster in a folder of its own under the system's temp folder (pytest's are
    private to root, and PostgreSQL runs as ``postgres`` when we are root); removed after."""
    folder = Path(tempfile.mkdtemp(prefix="mlmom-postgres-"))
    (folder / "password").write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    initdb = [str(_pg_bin() / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
              "-A", "scram-sha-256", f"--pwfile={folder / 'password'}", "--no-sync"]  # fmt: skip
    _run(initdb)
    server = Postgres(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str]) -> None:
    """Run a PostgreSQL tool (as ``postgres`` when we are root); fail with what it printed."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {out.stdout}{out.stderr}")


@dataclass
class S3:
    endpoint: str

    def bucket(self, name: str) -> str:
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.endpoint, **_boto_keys())
        s3.create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str) -> list[str]:
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.endpoint, **_boto_keys())
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _boto_keys() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_DEFAULT_REGION"],
    }


@contextlib.contextmanager
def s3(log: Path) -> Iterator[S3]:
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(endpoint, timeout=2), "moto_server", 60, process)
        yield S3(endpoint)
    finally:
        _stop(process)


ADMIN = ("admin", "mlmom-admin-password")


@contextlib.contextmanager
def mlflow_server(
    backend: str, artifacts: str, s3_endpoint: str, log: Path, auth_database: str
) -> Iterator[str]:
    """``mlflow server`` on ``backend`` (a database URL), proxying artifacts to ``artifacts``
    (an ``s3://`` URI), with MLflow's basic authentication (its users in ``auth_database``;
    the admin is :data:`ADMIN`, a new user may edit what others made): its tracking URI."""
    port = free_port()
    exe = Path(sys.executable).with_name("mlflow")
    config = log.with_name("basic_auth.ini")
    config.write_text(
        "[mlflow]\ndefault_permission = EDIT\n"
        f"database_uri = {auth_database}\nadmin_username = {ADMIN[0]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    # No job runner: its seven huey consumers (MLflow's GenAI scorers and trace rollups) each
    # import MLflow at start, and nothing here gives them a job.
    env = {**os.environ, **S3_ENV, "MLFLOW_S3_ENDPOINT_URL": s3_endpoint,
           "MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1],
           "MLFLOW_FLASK_SERVER_SECRET_KEY": "mlmom-test-secret-key",
           "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # fmt: skip
    command = [str(exe), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", backend, "--artifacts-destination", artifacts,
               "--workers", "1", "--app-name", "basic-auth"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(f"{uri}/health", timeout=2), "mlflow server",
                 180, process)  # fmt: skip
        yield uri
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# werkzeug's default password hash (scrypt) costs the server ~50 ms of CPU for every request
# it authenticates: most of what the team's tests cost it, on a machine they share with the
# other tests. Their users' hashes are rewritten with 1,000 PBKDF2 rounds; the server checks
# them with the same code (werkzeug reads the method from the hash).
QUICK_HASH = "pbkdf2:sha256:1000"


def quick_password_hashes(postgres: Postgres, database: str, users: dict[str, str]) -> None:
    """Rehash ``users``' passwords (name -> password) in the server's users ``database``."""
    from werkzeug.security import generate_password_hash

    for name, password in users.items():
        hashed = generate_password_hash(password, QUICK_HASH)
        postgres.psql(f"UPDATE users SET password_hash = '{hashed}' WHERE username = '{name}'",
                      database)  # fmt: skip


def add_user(tracking_uri: str, name: str, password: str) -> None:
    """A new user of the server (its admin creates it, through MLflow's REST API)."""
    import requests

    answer = requests.post(
        f"{tracking_uri}/api/2.0/mlflow/users/create",
        json={"username": name, "password": password},
        auth=ADMIN,
        timeout=30,
    )
    assert answer.ok, f"creating user {name}: {answer.status_code} {answer.text[:300]}"
