"""A tracking server read through MLflow's documented REST API (no MLflow import).

Routes: ``registered-models/get``, ``model-versions/get``, ``model-versions/search`` (paged by
token), ``runs/get`` and, for artifacts the server proxies (``mlflow-artifacts:``), the
artifact proxy's ``GET``. Credentials and TLS come from the variables MLflow's own client
reads (``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` or ``TOKEN``, ``MLFLOW_TRACKING_INSECURE_TLS``,
``MLFLOW_TRACKING_SERVER_CERT_PATH``, ``MLFLOW_TRACKING_CLIENT_CERT_PATH``). Artifacts kept
anywhere else (S3 read by the client itself) are fetched by the MLflow client.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from ...store_errors import server_error, without_password
from . import (
    ModelRecord,
    Reader,
    VersionRecord,
    file_missing,
    model_missing,
    name_filter,
    version_missing,
)

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
PAGE = 1_000  # versions per search request
RETRIES = (0.5, 1.0)  # waits before trying a server that did not answer again
TIMEOUT_S = float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", "120"))


class _Missing(Exception):
    """The server answered 404 (RESOURCE_DOES_NOT_EXIST)."""


class RestReader:
    """Reads the registry of the tracking server at ``base``."""

    def __init__(self, base: str, fallback: Reader) -> None:
        self._base = base.rstrip("/")
        self._fallback = fallback

    def model(self, name: str) -> ModelRecord:
        try:
            found = self._get(f"{API}/registered-models/get", name=name)["registered_model"]
        except _Missing:
            raise model_missing(name) from None
        aliases = {a["alias"]: str(a["version"]) for a in found.get("aliases", [])}
        return ModelRecord(found["name"], aliases, _tags(found))

    def versions(self, name: str) -> list[VersionRecord]:
        records: list[VersionRecord] = []
        token = ""
        while True:
            args = {"filter": name_filter(name), "max_results": str(PAGE)}
            page = self._get(f"{API}/model-versions/search", **args, page_token=token)
            found = page.get("model_versions", [])
            records += [_record(v) for v in found if v["name"] == name]  # see name_filter
            token = page.get("next_page_token", "")
            if not token:
                return records

    def version(self, name: str, number: str) -> VersionRecord:
        try:
            found = self._get(f"{API}/model-versions/get", name=name, version=number)
        except _Missing:
            raise version_missing(name, number) from None
        return _record(found["model_version"])

    def run_file(self, run_id: str, path: str) -> bytes:
        try:
            run = self._get(f"{API}/runs/get", run_id=run_id)["run"]
        except _Missing:
            raise file_missing(run_id, "(no such run)") from None
        uri = run["info"].get("artifact_uri", "")
        proxied = "mlflow-artifacts:/"
        if not uri.startswith(proxied) or uri.startswith(proxied + "/"):
            return self._fallback.run_file(run_id, path)  # S3 or another host: MLflow fetches
        where = uri[len(proxied) :].strip("/") + "/" + path
        try:
            return self._request(f"{ARTIFACTS}/{quote(where)}")
        except _Missing:
            raise file_missing(run_id, path) from None

    def _get(self, route: str, **params: str) -> dict[str, Any]:
        query = urlencode({k: v for k, v in params.items() if v})
        answer: dict[str, Any] = json.loads(self._request(f"{route}?{query}"))
        return answer

    def _request(self, route: str) -> bytes:
        request = urllib.request.Request(self._base + route, headers=_auth_headers())
        for wait in (*RETRIES, None):
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=_tls()) as answer:
                    body: bytes = answer.read()
                    return body
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    raise _Missing(route) from None
                if exc.code in (502, 503, 504) and wait is not None:
                    time.sleep(wait)
                    continue
                raise self._failed(exc.code) from None
            except (urllib.error.URLError, OSError):
                if wait is None:
                    raise self._failed(None) from None
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _failed(self, status: int | None) -> Exception:
        server = without_password(self._base)
        known = server_error(server, status)
        if known is not None:
            return known
        from ...errors import RegistryError

        return RegistryError(f"the tracking server {server} answered {status}")


def _record(found: dict[str, Any]) -> VersionRecord:
    return VersionRecord(
        name=found["name"],
        version=str(found["version"]),
        created=int(found.get("creation_timestamp", 0)),
        run_id=found.get("run_id") or None,
        source=found.get("source", ""),
        description=found.get("description", ""),
        tags=_tags(found),
    )


def _tags(found: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in found.get("tags", [])}


def _auth_headers() -> dict[str, str]:
    user, password = (
        os.environ.get("MLFLOW_TRACKING_USERNAME"),
        os.environ.get("MLFLOW_TRACKING_PASSWORD"),
    )
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {}


def _tls() -> ssl.SSLContext | None:
    if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
        return ssl._create_unverified_context()  # the user asked MLflow not to verify
    cafile = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
    client_cert = os.environ.get("MLFLOW_TRACKING_CLIENT_CERT_PATH")
    if cafile is None and client_cert is None:
        return None
    context = ssl.create_default_context(cafile=cafile)
    if client_cert:
        context.load_cert_chain(client_cert)
    return context
