"""Bare ASGI plumbing for the serving app: reading a JSON body within limits, writing JSON.

JSON goes through orjson: on a one-row request, parsing and writing with the standard library
cost about as much as the model's prediction.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ..errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
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
