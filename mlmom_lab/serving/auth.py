"""API keys with two scopes: ``predict`` (inference, feedback) and ``admin`` (also releases).

Keys come from ``ServingSettings.api_keys`` (``scope:key`` pairs, comma-separated) and/or
the file named by ``ServingSettings.api_keys_file`` (one ``scope:key`` a line, ``#``
comments); a worker gets them as ``MLMOM_API_KEYS`` and ``MLMOM_API_KEYS_FILE``. Only their
SHA-256 digests are kept in memory, and a presented key is compared with every digest in
constant time. A key travels as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; it
never appears in a log line or an error message. With no keys configured, the server runs
open (for a laptop) and says so when it starts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from ..errors import Forbidden, InvalidRequest, Unauthorized

SCOPES = ("predict", "admin")


@dataclass(frozen=True)
class KeyRing:
    """Digests of the configured keys, with their scopes."""

    digests: tuple[tuple[bytes, str], ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.digests)

    def check(self, presented: str | None, needed: str) -> None:
        """Pass, or raise 401 (no or unknown key) / 403 (a key without the needed scope)."""
        if not self.enabled:
            return
        if not presented:
            raise Unauthorized("an API key is required (Authorization: Bearer <key>)")
        scope = self._scope_of(presented)
        if scope is None:
            raise Unauthorized("the API key is not valid")
        if needed == "admin" and scope != "admin":
            raise Forbidden("this needs an API key with the admin scope")

    def _scope_of(self, presented: str) -> str | None:
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for known, scope in self.digests:  # no early exit: the time does not tell which matched
            if hmac.compare_digest(known, digest):
                found = scope
        return found


def parse(text: str, source: str) -> list[tuple[bytes, str]]:
    """``scope:key`` entries; an unknown scope or an empty key is refused, naming the line."""
    entries = []
    for number, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        scope, sep, key = line.partition(":")
        if not sep or scope.strip() not in SCOPES or not key.strip():
            raise InvalidRequest(
                f"{source}: entry {number} must be 'predict:<key>' or 'admin:<key>'"
            )  # the entry itself is not shown: it is a secret
        entries.append((hashlib.sha256(key.strip().encode()).digest(), scope.strip()))
    return entries


def key_ring(keys: str, keys_file: str | None = None) -> KeyRing:
    """The keys of ``ServingSettings.api_keys`` and ``api_keys_file``."""
    entries = parse(keys, "ServingSettings.api_keys (MLMOM_API_KEYS)")
    if keys_file:
        entries += parse(Path(keys_file).read_text(), keys_file)
    return KeyRing(tuple(entries))


def presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
        if name == b"x-api-key":
            return value.decode("latin-1").strip()
    return None
