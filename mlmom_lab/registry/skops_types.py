"""The types a scikit-learn model's skops file must trust, remembered per environment.

MLflow writes a scikit-learn model with skops, which loads back only the types it is told to
trust. The model was built in this very process, so the types it holds are the ones its author
chose: the registry trusts exactly those skops does not know. skops names them only by writing
the whole model (a fifth of a second for a forest of 150 trees), and MLflow then writes it
again and loads it back. Which types they are follows from the classes and functions that
pickling the model reaches and from the installed packages (skops among them): those make the
key, and a model whose key was answered before is written once, by MLflow. MLflow's load
after its write still checks the answer: a remembered list that no longer holds is asked of
skops again (:func:`untrusted_types` with ``remembered=False``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..pipeline.hashing import environment_fingerprint, sha256_json
from ..user_cache import cache_dir
from .requirements import Reached, keep_strings, read_strings


def untrusted_types(
    model: Any, reached: Reached | None, *, remembered: bool = True
) -> list[str] | None:
    """The types in ``model``'s skops file that skops does not trust by default; None when
    skops cannot write the model (a step it has no rule for). ``reached``: what pickling the
    model reaches (:func:`~.requirements.reached_by_pickling`; None: it cannot be pickled)."""
    key = _key_of(reached)
    if remembered and key is not None and (known := read_strings(_path(key))) is not None:
        return known
    import skops.io as sio

    try:
        found: list[str] = sio.get_untrusted_types(data=sio.dumps(model))
    except Exception:  # noqa: BLE001 - whatever skops refuses, the caller logs another way
        return None
    if key is not None:
        keep_strings(_path(key), found)
    return found


def _key_of(reached: Reached | None) -> str | None:
    if reached is None:
        return None
    environment = environment_fingerprint()["hash"]
    return sha256_json({"environment": environment, "named": sorted(reached.named)})


def _path(key: str) -> Path:
    return cache_dir() / "skops-types" / f"{key}.json"
