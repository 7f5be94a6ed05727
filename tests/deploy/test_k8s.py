"""`mlmom k8s`: manifests valid against the Kubernetes and KServe schemas, with the right image,
ports, probes and traffic split (no cluster here: the schemas are the referee)."""

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from referencing import Registry, Resource

from mlmom_lab.deploy import k8s
from mlmom_lab.errors import InvalidRequest
from mlmom_lab.serving.deployment import Deployment

from ..helpers import mlmom

K8S_VERSION = "1.30"
SCHEMAS = Path(__file__).parent / "schemas"


def kserve_validator() -> jsonschema.Draft202012Validator:
    """KServe's InferenceService schema (see schemas/make_kserve_schema.py), whose Kubernetes
    types resolve to the official definitions kubernetes-validate ships."""
    schema = json.loads((SCHEMAS / "inferenceservice-serving.kserve.io-v1beta1.json").read_text())
    defs_dir = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    latest = max(p for p in defs_dir.iterdir() if p.name.endswith("-local-strict"))
    definitions = json.loads((latest / "_definitions.json").read_text())
    registry = Registry().with_resources(
        [
            ("https://kubernetes.io/api/_definitions.json", Resource.from_contents(definitions)),
            (schema["$id"], Resource.from_contents(schema)),
        ]
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def valid_kubernetes(doc: dict) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.fixture(scope="module")
def written(example_run, tmp_path_factory):
    project, _ = example_run
    out = tmp_path_factory.mktemp("k8s")
    mlmom(
        "k8s",
        "--image-repo",
        "registry.example.com/churn",
        "--max-replicas",
        "6",
        "-o",
        str(out),
        cwd=project.root,
        check=True,
    )
    return {p.name: list(yaml.safe_load_all(p.read_text())) for p in out.glob("*.yaml")}


def test_plain_manifests_are_valid_and_serve_the_champion(written):
    (deploy,), (service,), (hpa,) = (
        written["deployment.yaml"],
        written["service.yaml"],
        written["hpa.yaml"],
    )
    for doc in (deploy, service, hpa):
        valid_kubernetes(doc)
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/churn:1"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["securityContext"]["runAsNonRoot"] is True
    assert deploy["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    selector = deploy["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"] == selector
    assert selector.items() <= deploy["spec"]["template"]["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deploy["metadata"]["name"],
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 6)


def test_the_inference_service_is_valid_kserve(written):
    (isvc,) = written["kserve-inferenceservice.yaml"]
    kserve_validator().validate(isvc)
    predictor = isvc["spec"]["predictor"]
    assert predictor["containers"][0]["image"] == "registry.example.com/churn:1"
    assert predictor["containers"][0]["ports"][0]["containerPort"] == 8080
    assert "canaryTrafficPercent" not in predictor  # no canary in the deployment
    assert predictor["maxReplicas"] == 6


def test_a_canary_becomes_kserve_canary_traffic():
    state = Deployment(champion="3", canary="4", canary_weight=0.25)
    objects = k8s.manifests(state, name="churn-classifier", image_repo="repo/churn")
    (isvc,) = objects["kserve-inferenceservice.yaml"]
    kserve_validator().validate(isvc)
    predictor = isvc["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 25
    assert predictor["containers"][0]["image"] == "repo/churn:4"  # the candidate revision
    assert isvc["metadata"]["annotations"]["mlmom.dev/champion"] == "3"
    (deploy,) = objects["deployment.yaml"]
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "repo/churn:3"


def test_the_schemas_are_strict_enough_to_catch_mistakes():
    state = Deployment(champion="3", canary="4", canary_weight=0.25)
    objects = k8s.manifests(state, name="churn", image_repo="repo/churn")
    (isvc,) = objects["kserve-inferenceservice.yaml"]
    isvc["spec"]["predictor"]["canaryTrafficPercent"] = "25%"
    with pytest.raises(jsonschema.ValidationError):
        kserve_validator().validate(isvc)
    isvc["spec"]["predictor"]["canaryTrafic"] = isvc["spec"]["predictor"].pop(
        "canaryTrafficPercent"
    )
    with pytest.raises(jsonschema.ValidationError, match="canaryTrafic"):
        kserve_validator().validate(isvc)
    (deploy,) = objects["deployment.yaml"]
    deploy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    with pytest.raises(kubernetes_validate.ValidationError):
        valid_kubernetes(deploy)


def test_bad_settings_are_refused():
    with pytest.raises(InvalidRequest, match="no champion"):
        k8s.manifests(Deployment(), name="churn", image_repo="r")
    with pytest.raises(InvalidRequest, match="min-replicas"):
        k8s.manifests(
            Deployment(champion="1"), name="churn", image_repo="r", min_replicas=3, max_replicas=2
        )
    assert k8s.dns_name("Churn_Model.v2") == "churn-model-v2"
    with pytest.raises(InvalidRequest, match="no valid Kubernetes name"):
        k8s.dns_name("___")
