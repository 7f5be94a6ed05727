"""Stage parameters: the spec's values with ``stage.key=value`` overrides, types checked.

Override values are read as YAML, so ``3`` is an int, ``0.5`` a float, ``true`` a bool,
``[1, 2]`` a list and ``{a: 1}`` a dict, as papermill injects them. An override must name a
parameter the spec declares and keep its type (an int may stand for a float).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError

if TYPE_CHECKING:
    from ..config import Stage

_EXPONENT = re.compile(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+")


def parse_overrides(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``["train.n_iter=20"]`` -> ``{"train": {"n_iter": 20}}``."""
    overrides: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        target, sep, text = pair.partition("=")
        stage, dot, key = target.partition(".")
        if not (sep and dot and stage and key):
            raise ParameterError(f"parameter {pair!r}: expected STAGE.KEY=VALUE")
        overrides.setdefault(stage, {})[key] = _read_value(text)
    return overrides


def _read_value(text: str) -> Any:
    """YAML's reading of a value, plus the ``1e-3`` floats that YAML 1.1 leaves as strings."""
    import yaml

    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return text.strip()  # a date stays the text it was written as, like in the spec
    return value


def resolve(
    spec_stages: Mapping[str, Stage], overrides: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every stage's effective parameters; unknown stages, keys or types are errors."""
    overrides = {
        stage: dict(values) for stage, values in overrides.items()
    }  # caller's stay as given
    for stage, values in overrides.items():
        if stage not in spec_stages:
            raise ParameterError(f"parameter {stage}.*: no stage named {stage!r}")
        declared = spec_stages[stage].params
        for key, value in values.items():
            if key not in declared:
                known = ", ".join(declared) or "none"
                raise ParameterError(
                    f"parameter {stage}.{key}: stage {stage!r} declares no "
                    f"parameter {key!r} (declared: {known})"
                )
            values[key] = _check_type(f"{stage}.{key}", declared[key], value)
    return {
        name: {**stage.params, **overrides.get(name, {})} for name, stage in spec_stages.items()
    }


def _check_type(name: str, default: Any, value: Any) -> Any:
    """``value`` if it has the type of the spec's ``default`` (an int becomes a float)."""
    if default is None:
        return value
    if value is None:
        raise ParameterError(
            f"parameter {name}: expected {type(default).__name__} like the "
            f"spec's {default!r}, got null"
        )
    expected = type(default)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ParameterError(
            f"parameter {name}: expected {expected.__name__} like the spec's "
            f"{default!r}, got {type(value).__name__} {value!r}"
        )
    return value
