"""The model registry (MLflow): versions with lineage, aliases with history, ONNX twins.

    from mlmom_lab import registry
    info = registry.get_version(None, "champion")
    registry.history(alias="champion")

Registering a model is :mod:`mlmom_lab.registration`'s work; moving an alias together with
what serves it is :mod:`mlmom_lab.release`'s (``registry.promote`` and ``registry.rollback``
move the alias and its history only).
"""

from ..errors import NotFound, RegistryError
from .aliases import AliasEvent, history, promote, rollback
from .compare import compare, compare_versions
from .versions import VersionInfo, get_lineage, get_version, list_models, list_versions, parse_ref

__all__ = [
    "AliasEvent",
    "NotFound",
    "RegistryError",
    "VersionInfo",
    "compare",
    "compare_versions",
    "get_lineage",
    "get_version",
    "history",
    "list_models",
    "list_versions",
    "parse_ref",
    "promote",
    "rollback",
]
