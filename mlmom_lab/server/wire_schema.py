"""The wire contract's JSON Schemas, one per part of :data:`PARTS`: the frontend's build
generates its TypeScript types from them (``labextension/src/wire/<part>.ts``).
``python -m mlmom_lab.server.wire_schema labextension/wire`` writes them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .wire import (
    REQUESTS,
    AliasMove,
    Approval,
    AuditTrail,
    Comparison,
    DashboardPath,
    Deployment,
    ErrorBody,
    History,
    Job,
    Jobs,
    LoggedRequests,
    Monitoring,
    Pipeline,
    ProjectInfo,
    RegistryPage,
    Release,
    ReportFiles,
    RequestExplanation,
    Server,
    ServerMetrics,
    ServerRecord,
    Traffic,
)

# The contract in three parts, one generated TypeScript module each
# (``labextension/src/wire/<part>.ts``): none names a model of another.
PARTS: dict[str, tuple[tuple[type[BaseModel], ...], str]] = {
    "requests": (REQUESTS, "what the lab sends"),
    "lifecycle": (
        (
            ProjectInfo,
            Pipeline,
            RegistryPage,
            History,
            AuditTrail,
            Comparison,
            Monitoring,
            LoggedRequests,
            RequestExplanation,
            ReportFiles,
            DashboardPath,
        ),
        "what the panels read: the project, its pipeline, registry and monitoring",
    ),
    "operations": (
        (
            Deployment,
            Server,
            ServerRecord,
            ServerMetrics,
            Traffic,
            Release,
            AliasMove,
            Approval,
            Jobs,
            Job,
            ErrorBody,
        ),
        "what serves and what runs: the deployment, the server, releases, jobs and errors",
    ),
}


def json_schema(part: str) -> dict[str, Any]:
    """One part of the API's requests and answers as a JSON Schema (its ``$defs``)."""
    from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

    class ModelTitlesOnly(GenerateJsonSchema):
        def field_title_should_be_set(self, schema: Any) -> bool:
            return False  # a titled field becomes a named TypeScript alias (``Seq1``...)

    models, about = PARTS[part]
    mode: JsonSchemaMode = "validation" if part == "requests" else "serialization"
    _, schema = models_json_schema(
        [(m, mode) for m in models], ref_template="#/$defs/{model}",
        schema_generator=ModelTitlesOnly,
    )  # fmt: skip
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"mlmom-lab API {part}", "description": about, **schema}  # fmt: skip


if __name__ == "__main__":  # python -m mlmom_lab.server.wire_schema labextension/wire
    import json
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1])
    for name in PARTS:
        text = json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"
        (folder / f"{name}.schema.json").write_text(text)
