"""The OpenAPI 3.1 document of the serving app, built from the served model's signature.

Every route the app answers is here, with the schemas it accepts and the errors it gives, so
the document is what the server does; a test walks the app's routes against it.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from .schema import ColumnSpec, InputSchema

_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "str": "string"}
_ERRORS = {
    "400": "Bad input, named (column and row)",
    "401": "Missing or invalid API key",
    "403": "The API key lacks the scope",
    "404": "Unknown model, version or route; for feedback, a request id or row never logged",
    "405": "Wrong method",
    "409": "The x-request-id was already used by another request",
    "413": "Body over the size limit",
    "415": "Not application/json",
}


def _error_responses(*codes: str) -> dict[str, Any]:
    return {
        code: {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _get(summary: str, schema_ref: str, *errors: str, public: bool = False) -> dict[str, Any]:
    op = {
        "summary": summary,
        "responses": {"200": _json(schema_ref, "OK"), **_error_responses(*errors)},
    }
    if public:
        op["security"] = []
    return {"get": op}


def _post(summary: str, body_ref: str, schema_ref: str, *errors: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{body_ref}"}}
                },
            },
            "responses": {"200": _json(schema_ref, "OK"), **_error_responses(*errors)},
        }
    }


def _column_schema(col: ColumnSpec) -> dict[str, Any]:
    """One column's values: its JSON type, null only where the model takes a gap, and the
    range its type holds (a number outside it is refused, never rounded to infinity)."""
    import numpy as np

    json_type = _JSON_TYPES[col.kind]
    schema: dict[str, Any] = {"type": [json_type, "null"] if col.nullable else json_type}
    dtype = np.dtype(col.numpy_dtype)
    if col.kind in ("float", "int"):
        limits = np.finfo(dtype) if col.kind == "float" else np.iinfo(dtype)
        schema.update(
            minimum=float(limits.min) if col.kind == "float" else int(limits.min),
            maximum=float(limits.max) if col.kind == "float" else int(limits.max),
        )
    return schema


def _row_schema(schema: InputSchema) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {c.name: _column_schema(c) for c in schema.columns},
        "required": [c.name for c in schema.columns if c.required],
    }


def _components(schema: InputSchema) -> dict[str, Any]:
    tensor = {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
            "datatype": {"type": "string"},
            "data": {"type": "array"},
            "parameters": {"type": "object"},
        },
    }
    row = _row_schema(schema)
    return {
        "Error": {
            "type": "object",
            "required": ["error", "code"],
            "properties": {
                "error": {"type": "string"},
                "code": {"type": "string"},
                "release": {"type": "object"},
            },
        },
        "Status": {"type": "object"},
        "Tensor": tensor,
        "Row": row,
        "InferenceRequest": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "parameters": {"type": "object"},
                "inputs": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Tensor"},
                    "description": "One input per column ("
                    + ", ".join(f"{c.name}: {c.datatype}" for c in schema.columns)
                    + ") or one 2-D tensor with the columns in that order.",
                },
                "outputs": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
            },
        },
        "InferenceResponse": {
            "type": "object",
            "required": ["model_name", "outputs"],
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}},
            },
        },
        "ModelMetadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array"},
                "outputs": {"type": "array"},
            },
        },
        "MLflowRequest": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "dataframe_split": {
                    "type": "object",
                    "properties": {
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "data": {"type": "array", "items": {"type": "array"}},
                    },
                },
                "dataframe_records": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Row"},
                },
                "instances": {"type": "array"},
                "inputs": {"type": ["object", "array"]},
                "params": {"type": "object"},
            },
        },
        "MLflowResponse": {
            "type": "object",
            "required": ["predictions"],
            "properties": {"predictions": {"type": "array"}},
        },
        "Feedback": {
            "type": "object",
            "required": ["labels"],
            "properties": {
                "labels": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["request_id", "label"],
                        "properties": {
                            "request_id": {"type": "string"},
                            "row": {"type": "integer", "minimum": 0},
                            "label": {},
                        },
                    },
                }
            },
        },
        "Release": {
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "weight": {"type": "number"},
                "reason": {"type": "string"},
            },
        },
    }


def document(model: str, schema: InputSchema) -> dict[str, Any]:
    """The OpenAPI document for a server of ``model`` taking ``schema`` as input."""
    v2 = "/v2/models/{name}"
    paths = {
        "/v2": _get("Server metadata (Open Inference v2)", "Status", "401"),
        "/v2/health/live": _get("Liveness", "Status", public=True),
        "/v2/health/ready": _get("Readiness", "Status", public=True),
        v2: _get("Model metadata: inputs with v2 datatypes", "ModelMetadata", "401", "404"),
        v2 + "/ready": _get("Model readiness", "Status", "401", "404"),
        v2 + "/versions/{version}": _get(
            "Metadata of one served version", "ModelMetadata", "401", "404"
        ),
        v2 + "/infer": _post(
            "Predict (Open Inference v2), routed champion/canary",
            "InferenceRequest",
            "InferenceResponse",
            "400",
            "401",
            "404",
            "405",
            "409",
            "413",
            "415",
        ),
        v2 + "/versions/{version}/infer": _post(
            "Predict with one served version",
            "InferenceRequest",
            "InferenceResponse",
            "400",
            "401",
            "404",
            "405",
            "409",
            "413",
            "415",
        ),
        "/invocations": _post(
            "Predict (MLflow scoring protocol)",
            "MLflowRequest",
            "MLflowResponse",
            "400",
            "401",
            "405",
            "409",
            "413",
            "415",
        ),
        "/ping": _get("Health (SageMaker)", "Status", public=True),
        "/health": _get("Health", "Status", public=True),
        "/version": _get("Served version", "Status", "401"),
        "/feedback": _post(
            "Attach ground-truth labels to logged requests (all or none)",
            "Feedback",
            "Status",
            "400",
            "401",
            "404",
            "405",
            "413",
            "415",
        ),
        "/deployment": _get("The deployment (admin scope)", "Status", "401", "403"),
        "/deployment/{action}": _post(
            "canary | shadow | promote | rollback | clear (admin scope)",
            "Release",
            "Status",
            "400",
            "401",
            "403",
            "404",
            "405",
        ),
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics of every worker",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": _get("This document", "Status", public=True),
    }
    for path, item in paths.items():
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in ("name", "version", "action")
            if "{" + p + "}" in path
        ]
        for op in item.values():
            if params:
                op["parameters"] = params
    return {
        "openapi": "3.1.0",
        "info": {"title": f"mlmom-lab serving: {model}", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": _components(schema),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }
