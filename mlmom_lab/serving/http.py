"""Bare ASGI plumbing for the serving app: reading a JSON body within limits, writing JSON."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from ..errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

Send = Callable[[dict], Awaitable[None]]


async def json_body(scope: dict, receive, limit: int) -> Any:
    content_type = header(scope, b"content-type").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType(f"unsupported content type {content_type!r}: send "
                                   "application/json")
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
    try:
        return json.loads(b"".join(chunks))
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from None


def header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


async def send_json(send: Send, status: int, body: Any,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body, separators=(",", ":"), default=plain).encode()
    await send_bytes(send, status, payload, b"application/json", headers)


async def send_bytes(send: Send, status: int, payload: bytes, content_type: bytes,
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(payload)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


def plain(value: Any) -> Any:
    """numpy arrays and scalars as plain JSON values."""
    return value.tolist() if hasattr(value, "tolist") else str(value)
