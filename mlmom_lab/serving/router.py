"""Which loaded version answers a request: champion, canary (by weight), shadow (a copy)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from ..errors import NotFound
from .deployment import Deployment
from .runtime import ModelRuntime


@dataclass(frozen=True)
class Router:
    """An immutable routing table; a new deployment makes a new router, swapped in whole."""

    deployment: Deployment
    runtimes: dict[str, ModelRuntime]

    @property
    def champion(self) -> ModelRuntime:
        champion = self.deployment.champion
        if champion is None:  # a release always leaves one: never written without
            raise NotFound("no champion is deployed")
        return self.runtimes[champion]

    def pick(self, key: str | None = None) -> tuple[ModelRuntime, str]:
        """The runtime for a request, and its route. A ``key`` makes the choice sticky."""
        d = self.deployment
        if d.canary and d.canary_weight > 0 and _draw(key) < d.canary_weight:
            return self.runtimes[d.canary], "canary"
        return self.champion, "champion"

    def shadow(self) -> ModelRuntime | None:
        return self.runtimes[self.deployment.shadow] if self.deployment.shadow else None

    def version(self, version: str) -> ModelRuntime:
        """A served version by number, for ``/versions/{v}/infer``."""
        if version not in self.runtimes or version not in self.deployment.versions:
            served = ", ".join(sorted(self.deployment.versions, key=int))
            raise NotFound(
                f"model {self.champion.name!r} has no served version {version!r} (serving {served})"
            )
        return self.runtimes[version]


def _draw(key: str | None) -> float:
    """A number in [0, 1): the same for the same key, random without one."""
    if key is None:
        return random.random()
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64
