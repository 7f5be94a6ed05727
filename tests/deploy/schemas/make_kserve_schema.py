"""Write the JSON Schema of KServe's InferenceService (serving.kserve.io/v1beta1) used by the tests.

No cluster exists here, and KServe publishes its API as a CRD (megabytes of YAML) and as the
OpenAPI-generated models of its Python SDK. This script reads those models' type tables
(``openapi_types`` and ``attribute_map``, by parsing the source, without importing the SDK and
its dependencies) and writes a strict schema: every object refuses unknown fields, and the
Kubernetes types they use (Container, ObjectMeta, Probe...) are ``$ref``s into the official
definitions that kubernetes-validate ships. Run it again when KServe's API changes:

    pip download --no-deps kserve==0.21.0 && unzip kserve-0.21.0-*.whl -d kserve-wheel
    python tests/deploy/schemas/make_kserve_schema.py kserve-wheel/kserve/models
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import kubernetes_validate

HERE = Path(__file__).parent
K8S_DEFS = "https://kubernetes.io/api/_definitions.json#/$defs/"
SCALARS = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "float": {"type": "number"},
    "object": {},
    "V1Time": {"type": "string"},
}


def model_tables(models: Path) -> dict[str, tuple[dict, dict]]:
    """Class name -> (python attribute -> type string, python attribute -> JSON name)."""
    tables = {}
    for path in models.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                found = {
                    t.targets[0].id: ast.literal_eval(t.value)
                    for t in node.body
                    if isinstance(t, ast.Assign)
                    and isinstance(t.targets[0], ast.Name)
                    and t.targets[0].id in ("openapi_types", "attribute_map")
                }
                if len(found) == 2:
                    tables[node.name] = (found["openapi_types"], found["attribute_map"])
    return tables


def k8s_name(type_name: str, k8s: set[str]) -> str | None:
    """V1Container -> io.k8s.api.core.v1.Container; K8sIoApiAppsV1X -> io.k8s.api.apps.v1.X."""
    long = re.match(r"K8sIoApi([A-Z][a-z]+)(V\d\w*?)([A-Z]\w*)$", type_name)
    if long:
        group, version, kind = long.groups()
        name = f"io.k8s.api.{group.lower()}.{version.lower()}.{kind}"
        return name if name in k8s else None
    short = re.match(r"(V\d\w*?)([A-Z]\w*)$", type_name)
    if not short:
        return None
    version, kind = short.group(1).lower(), short.group(2)
    preferred = [
        f"io.k8s.api.core.{version}.{kind}",
        f"io.k8s.apimachinery.pkg.apis.meta.{version}.{kind}",
    ]
    return next((n for n in preferred if n in k8s), None)


def schema_of(type_name: str, tables, k8s, defs: dict) -> dict:
    if type_name in SCALARS:
        return SCALARS[type_name]
    if type_name.startswith("list["):
        return {"type": "array", "items": schema_of(type_name[5:-1], tables, k8s, defs)}
    if type_name.startswith("dict("):
        value = type_name[5:-1].split(",", 1)[1].strip()
        return {"type": "object", "additionalProperties": schema_of(value, tables, k8s, defs)}
    if type_name in tables and type_name.startswith(("V1beta1", "V1alpha1")):
        if type_name not in defs:
            defs[type_name] = {}  # placeholder against recursion
            types, names = tables[type_name]
            defs[type_name] = {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    names[attr]: schema_of(t, tables, k8s, defs) for attr, t in types.items()
                },
            }
        return {"$ref": f"#/$defs/{type_name}"}
    found = k8s_name(type_name, k8s)
    if found:
        return {"$ref": K8S_DEFS + found}
    if type_name == "ResourceQuantity" or type_name.endswith("Quantity"):
        return {"type": ["string", "integer", "number"]}
    raise SystemExit(f"no schema for type {type_name}")


def main(models: Path) -> None:
    tables = model_tables(models)
    defs_file = (
        Path(kubernetes_validate.__file__).parent
        / "kubernetes-json-schema"
        / "v1.37.0-local-strict"
        / "_definitions.json"
    )
    k8s = set(json.loads(defs_file.read_text())["$defs"])
    defs: dict = {}
    spec = schema_of("V1beta1InferenceServiceSpec", tables, k8s, defs)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kserve.github.io/schemas/inferenceservice-serving.kserve.io-v1beta1.json",
        "description": "KServe InferenceService (spec only), from the kserve 0.21.0 SDK models.",
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "serving.kserve.io/v1beta1"},
            "kind": {"const": "InferenceService"},
            "metadata": {"$ref": K8S_DEFS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            "spec": spec,
        },
        "$defs": defs,
    }
    out = HERE / "inferenceservice-serving.kserve.io-v1beta1.json"
    out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} ({len(defs)} KServe types)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
