"""One exception base with an error code, and one table from codes to HTTP status.

Every error a user can cause is an :class:`MlmomError` subclass. Its message is one line that
names what is wrong (the file and the field, the stage, the model version); the CLI prints it
as is and exits non-zero, HTTP handlers map its ``code`` through :data:`HTTP_STATUS`.
"""

from __future__ import annotations

from typing import Any


class MlmomError(Exception):
    """Base of every error mlmom raises on purpose."""

    code = "error"
    exit_code = 1  # the CLI's exit status

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SpecError(MlmomError):
    """The project spec (mlmom.yaml) is invalid or missing."""

    code = "invalid_spec"


class InvalidRequest(MlmomError):
    """An argument that cannot be acted on as given (a bad alias name, a bad folder)."""

    code = "invalid_request"


class InvalidInput(MlmomError):
    """A prediction request that does not fit the model's signature or the protocol."""

    code = "invalid_input"


class PayloadTooLarge(MlmomError):
    """A request body over the configured size limit."""

    code = "payload_too_large"


class UnsupportedMediaType(MlmomError):
    """A request body in a format the endpoint does not take."""

    code = "unsupported_media_type"


class MethodNotAllowed(MlmomError):
    """An HTTP method the route does not answer."""

    code = "method_not_allowed"


class Unauthorized(MlmomError):
    """No API key, or one that is not valid."""

    code = "unauthorized"


class Forbidden(MlmomError):
    """A valid API key without the scope the request needs."""

    code = "forbidden"


class ParameterError(MlmomError):
    """A parameter override names an unknown stage or key, or has the wrong type."""

    code = "invalid_parameter"


class StageFailed(MlmomError):
    """A pipeline stage raised inside its notebook."""

    code = "stage_failed"

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        notebook: str,
        cell: int | None = None,
        exception: str = "",
    ) -> None:
        super().__init__(message)
        self.stage, self.notebook, self.cell, self.exception = stage, notebook, cell, exception


class NotFound(MlmomError):
    """A model, version, alias, stage or run does not exist."""

    code = "not_found"


class RequestIdTaken(MlmomError):
    """A client's request id already names a logged request (labels attach by it)."""

    code = "request_id_taken"


class RegistryError(MlmomError):
    """A registry operation cannot be carried out (e.g. nothing to roll back to)."""

    code = "registry_conflict"


class Busy(MlmomError):
    """The project is busy: another pipeline run holds its lock."""

    code = "busy"


class Cancelled(MlmomError):
    """Someone cancelled the work (a job in the lab) before it finished."""

    code = "cancelled"
    exit_code = 130  # as an interrupted command


class ReproduceMismatch(MlmomError):
    """Code or data no longer match a version's lineage, or metrics differ on re-run."""

    code = "reproduce_mismatch"


class StoreUnavailable(MlmomError):
    """A store the project names (a tracking server, a database) does not answer now; the
    message names it, its URI without a password, and what to do."""

    code = "unavailable"
    exit_code = 4


class NotLive(MlmomError):
    """A deployment change was written but not every running worker serves it: one could
    not load it (``refused``), or some had not swapped it in when the wait ran out. The
    change stays written; the workers go on following it. ``detail`` is the release."""

    code = "not_live"
    exit_code = 3

    def __init__(
        self, message: str, *, refused: bool, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.detail = detail or {}
        if refused:
            self.code = "release_refused"


HTTP_STATUS: dict[str, int] = {
    "error": 500,
    "internal": 500,
    "invalid_spec": 400,
    "invalid_request": 400,
    "invalid_input": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "method_not_allowed": 405,
    "invalid_parameter": 400,
    "stage_failed": 422,
    "not_found": 404,
    "registry_conflict": 409,
    "request_id_taken": 409,
    "busy": 409,
    "cancelled": 409,
    "reproduce_mismatch": 409,
    "not_live": 504,  # the change is written; the workers behind have not all taken it yet
    "release_refused": 502,  # ... and one of them could not load it
    "unavailable": 503,  # a store is away: the same request may succeed later
}


def http_status(error: MlmomError) -> int:
    """The HTTP status for an error, by its code."""
    return HTTP_STATUS.get(error.code, 500)


def error_body(error: BaseException, reference: str = "") -> dict[str, Any]:
    """The one error body of every HTTP answer and every job: ``{"error", "code"}`` (plus
    ``"release"``, how far a release got, when it is not live). An error of ours says what
    is wrong; anything else is a bug whose details stay in the server's log, never in the
    answer: the body says where to look (``reference``, e.g. the request or job id)."""
    if not isinstance(error, MlmomError):
        where = f" ({reference})" if reference else ""
        return {"error": f"internal error{where}: see the server's log", "code": "internal"}
    body: dict[str, Any] = {"error": error.message, "code": error.code}
    if isinstance(error, NotLive) and error.detail:
        body["release"] = error.detail
    return body
