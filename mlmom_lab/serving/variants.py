"""Serving a variant of a version's ONNX graph (``int8``, made by ``mlmom registry optimize``)
instead of its float twin, where one was made and kept."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project
    from ..registry.versions import VersionInfo
    from .runtime import ModelRuntime

logger = logging.getLogger("mlmom.serving")


def kept_variant(project: Project, info: VersionInfo, variant: str | None) -> bytes | None:
    """The version's ``variant`` graph; None (said in the log) when the version has none
    kept."""
    from ..registry.optimize import artifact
    from ..registry.reading import reader_for

    if not variant:
        return None
    record = info.onnx.get("variants", {}).get(variant, {})
    if not record.get("kept") or info.run_id is None:
        logger.warning(
            "%s version %s has no %s variant kept: it serves its float graph",
            info.name, info.version, variant,
        )  # fmt: skip
        return None
    return reader_for(project).run_file(info.run_id, artifact(variant))


def answers_all(runtime: ModelRuntime, example: dict[str, np.ndarray]) -> int:
    """A variant asked for answers every batch size; both engines answer the example once."""
    from ..registry.crossover import ALWAYS_ONNX

    runtime._predict_onnx(example)
    runtime._predict_native(example)
    return ALWAYS_ONNX
