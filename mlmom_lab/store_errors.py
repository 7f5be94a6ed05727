"""A store that does not answer, said in one line: which store, where (without a password),
and what to do. MLflow's own messages are long (a chain of urllib3 retries), may come minutes
late (it retries a refused connection seven times, backing off), and a database URL in them
can carry its password."""

from __future__ import annotations

import re
import sys

from .errors import StoreUnavailable

_SECRET = re.compile(r"(://[^:/@\s]*):[^@\s]*@")
_SERVER = re.compile(r"API request to (https?://\S+?)/api/\d")
_STATUS = re.compile(r"error code (\d{3})")
_UNREACHABLE = ("Max retries exceeded", "Connection refused", "NewConnectionError", "timed out")
# MLflow's retries, shortened (a user's own settings win): a server that is down is said in
# seconds, a blip still survives
RETRY_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}


def without_password(text: str) -> str:
    """``scheme://user:secret@host`` as ``scheme://user:***@host``, wherever it appears."""
    return _SECRET.sub(r"\1:***@", text)


def store_error(exc: BaseException, tracking_uri: str | None = None) -> StoreUnavailable | None:
    """``exc`` as a :class:`StoreUnavailable` when it says a store is away or refused us;
    None when it is anything else. ``tracking_uri``: the server, when MLflow's message
    does not name it."""
    text = str(exc)
    if "API request to" in text:
        found = _SERVER.search(text)
        server = without_password(found.group(1) if found else tracking_uri or "(unknown)")
        return _tracking(server, text)
    return _artifacts(exc) or _database(exc)


def _tracking(server: str, text: str) -> StoreUnavailable | None:
    if any(sign in text for sign in _UNREACHABLE):
        return server_error(server)
    status = _STATUS.search(text)
    return server_error(server, int(status.group(1))) if status else None


def server_error(server: str, status: int | None = None) -> StoreUnavailable | None:
    """What a tracking server's failure means for the user: ``status`` None when it did not
    answer at all; None back for a status that says nothing about the store (a 404)."""
    if status is None:
        return StoreUnavailable(
            f"the tracking server {server} does not answer: start it, or check "
            "stores.tracking_uri in mlmom.yaml"
        )
    if status in (401, 403):
        return StoreUnavailable(
            f"the tracking server {server} refused the credentials ({status}): set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN"
        )
    if status in (500, 502, 503, 504):
        return StoreUnavailable(
            f"the tracking server {server} failed ({status}); when it keeps artifacts for its "
            "clients, its artifact store may be unreachable: see the server's log"
        )
    return None


def _artifacts(exc: BaseException) -> StoreUnavailable | None:
    boto = sys.modules.get("botocore.exceptions")
    if boto is None:
        return None
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError):
        return StoreUnavailable(
            f"the artifact store does not answer ({without_password(str(exc))}): check "
            "MLFLOW_S3_ENDPOINT_URL and stores.artifact_root"
        )
    if isinstance(exc, boto.NoCredentialsError | boto.ClientError) and (
        "AccessDenied" in str(exc) or "credentials" in str(exc).lower()
    ):
        return StoreUnavailable(
            f"the artifact store refused the credentials ({without_password(str(exc))})"
        )
    return None


def _database(exc: BaseException) -> StoreUnavailable | None:
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy is None or not isinstance(exc, sqlalchemy.OperationalError):
        return None
    first = str(getattr(exc, "orig", exc)).strip().splitlines()
    return StoreUnavailable(
        f"a database of the project does not answer: {without_password(first[0] if first else '')}"
    )
