"""The model registry (MLflow): versions with lineage, aliases with history, ONNX twins.

    from mlmom_lab import registry
    info = registry.register_model(model, X_test.head(5), metrics={"roc_auc": 0.91}, held_out=X_test)
    registry.promote(info.version, alias="challenger", reason="new candidate")
    registry.rollback(reason="latency regression")
"""

from ..errors import NotFound, RegistryError
from .aliases import AliasEvent, history, promote, rollback
from .compare import compare
from .register import register_model
from .store import VersionInfo, get_lineage, get_version, list_models, list_versions, parse_ref

__all__ = ["AliasEvent", "NotFound", "RegistryError", "VersionInfo", "compare", "get_lineage", "get_version", "history",
           "list_models", "list_versions", "parse_ref", "promote", "register_model", "rollback"]
