"""XGBoost and LightGBM in skl2onnx: onnxmltools' converters, registered once.

With them, skl2onnx converts a bare ``XGBClassifier`` or ``LGBMRegressor`` and pipelines
whose last step is one, like any scikit-learn model. Both libraries are optional (the
``boosting`` extra): without them there is nothing to register.
"""

from __future__ import annotations

import copy
import functools
import importlib
from typing import Any

# library -> (module of its onnxmltools converter, the converter, {class: skl2onnx alias})
CONVERTERS = {
    "xgboost": (
        "onnxmltools.convert.xgboost.operator_converters.XGBoost",
        "convert_xgboost",
        {"XGBClassifier": "XGBoostXGBClassifier", "XGBRegressor": "XGBoostXGBRegressor"},
    ),
    "lightgbm": (
        "onnxmltools.convert.lightgbm.operator_converters.LightGbm",
        "convert_lightgbm",
        {"LGBMClassifier": "LightGbmLGBMClassifier", "LGBMRegressor": "LightGbmLGBMRegressor"},
    ),
}


@functools.cache
def register_converters() -> None:
    """Teach skl2onnx the installed boosting libraries' scikit-learn classes (once)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    for library_name, (module, function, classes) in CONVERTERS.items():
        try:
            library = importlib.import_module(library_name)
            convert = getattr(importlib.import_module(module), function)
        except ImportError:
            continue  # not installed: its models are never met
        for class_name, alias in classes.items():
            classifier = class_name.endswith("Classifier")
            options = (
                {"nocl": [True, False], "zipmap": [True, False, "columns"]}
                if classifier
                else {"split": None}
                if library_name == "lightgbm"
                else None
            )
            update_registered_converter(
                getattr(library, class_name),
                alias,
                calculate_linear_classifier_output_shapes
                if classifier
                else calculate_linear_regressor_output_shapes,
                convert,
                options=options,
            )


# onnxmltools' tree converters write ai.onnx.ml opset 3 (ONNX Runtime's tree ensembles);
# skl2onnx would otherwise declare the newest, which they do not produce
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def _estimators(model: Any) -> list[Any]:
    return [step for _, step in getattr(model, "steps", [])] or [model]


def is_boosting(model: Any) -> bool:
    """``model`` is, or ends in, an XGBoost or LightGBM estimator."""
    return type(_estimators(model)[-1]).__module__.split(".")[0] in CONVERTERS


def convertible(model: Any) -> Any:
    """``model`` ready for skl2onnx: converters registered and, on a copy of an XGBoost
    model, its feature names dropped (the converter reads features only as ``f0, f1, ...``)
    and ``n_estimators`` set to the rounds the booster really has (the converter keeps only
    that many trees: a booster trained further, as the incremental strategy does, has more)."""
    register_converters()
    if not any(hasattr(e, "get_booster") for e in _estimators(model)):
        return model
    model = copy.deepcopy(model)
    for estimator in _estimators(model):
        if hasattr(estimator, "get_booster"):
            booster = estimator.get_booster()
            booster.feature_names = None
            estimator.n_estimators = booster.num_boosted_rounds()
    return model
