"""The team's engines for the tests of this folder, started once per test process and
stopped at its end: PostgreSQL (Debian's), an S3 stand-in (moto_server: no real S3 server
is on the registries we install from) and an MLflow tracking server on that PostgreSQL,
proxying artifacts to that S3, with MLflow's basic authentication and two users."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .. import services

USERS = {"alice": "alice-password-1234", "bob": "bob-password-5678"}


@dataclass
class Team:
    postgres: services.Postgres
    s3: services.S3
    bucket: str
    tracking_uri: str

    def credentials(self, user: str) -> dict[str, str]:
        """The environment a user's commands run in: their login at the tracking server."""
        return {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": USERS[user]}


@pytest.fixture(scope="session")
def team(tmp_path_factory):
    base = tmp_path_factory.mktemp("team")
    with services.postgres() as pg, services.s3(base / "s3.log") as s3:
        bucket = s3.bucket("mlmom-team")
        backend = pg.database("mlflow")
        artifacts = f"{bucket}/artifacts"
        log, users = base / "mlflow.log", pg.database("mlflow_users")
        with services.mlflow_server(backend, artifacts, s3.endpoint, log, users) as uri:
            for user, password in USERS.items():
                services.add_user(uri, user, password)
            yield Team(pg, s3, bucket.removeprefix("s3://"), uri)
