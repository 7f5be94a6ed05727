"""Bare ASGI plumbing for the serving app: reading a JSON body within limits, writing JSON.

JSON goes through orjson: on a one-row request, parsing and writing with the standard library
cost about as much as the model's prediction.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ..errors import InvalidInput, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from ..jsonio import dumps

# ASGI: the connection's scope, the messages, and the channels both ways
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
After = Callable[[], None]  # work for after the answer is sent (the shadow's prediction)
Response = tuple[int, Any, list[tuple[bytes, bytes]], After | None]  # status, body, headers


async def json_body(scope: Scope, receive: Receive, limit: int) -> Any:
    content_type = header(scope, b"content-type").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType(
            f"unsupported content type {content_type!r}: send application/json"
        )
    declared = header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes is over the limit of {limit}")
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return loads(b"".join(chunks))


def loads(payload: bytes) -> Any:
    """A JSON document; ``NaN`` and ``Infinity`` (which pandas and Python clients write) allowed."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass
    try:  # the standard library also reads NaN / Infinity; other bad JSON fails here too
        return json.loads(payload)
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("the JSON is nested deeper than any payload format allows") from None


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return ""


async def send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = dumps(body)
    await send_bytes(send, status, payload, b"application/json", headers)


async def send_bytes(
    send: Send,
    status: int,
    payload: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ID_PREFIX = uuid.uuid4().hex[:16]  # per process: ids stay unique across workers and restarts
_id_counter = itertools.count()


def request_id(scope: Scope) -> str:
    """The caller's ``x-request-id`` when it is a sane one, else a new one (no syscall)."""
    given = header(scope, b"x-request-id")
    scope["mlmom.client_id"] = bool(given and _REQUEST_ID.match(given))
    request_id = given if scope["mlmom.client_id"] else f"{_ID_PREFIX}{next(_id_counter):016x}"
    scope["mlmom.request_id"] = request_id
    return request_id


def require_method(method: str, allowed: str) -> None:
    if method != allowed and not (allowed == "GET" and method == "HEAD"):
        raise MethodNotAllowed(f"use {allowed} here, not {method}")
