"""Kubernetes manifests for the project's deployment: a KServe InferenceService, and a plain
Deployment + Service + HorizontalPodAutoscaler for clusters without KServe.

Each version runs as its own image (``IMAGE_REPO:VERSION``, as ``mlmom build-docker`` tags
it). With a canary in the deployment, the InferenceService names the canary's image and
``canaryTrafficPercent``: KServe then sends that share to the new revision and the rest to
the last ready one, the champion's, which must have been applied before. The plain
Deployment serves the champion; splitting traffic there needs a service mesh.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from ..serving.deployment import Deployment
from .docker import PORT, STATE

SECRET = "mlmom-serving"  # optional Secret: api-keys (MLMOM_API_KEYS), log-salt (MLMOM_LOG_SALT)
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def dns_name(text: str) -> str:
    """``churn-classifier`` stays; ``Churn_Model.v2`` becomes ``churn-model-v2``."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].rstrip("-")
    if not _DNS_LABEL.match(name):
        raise InvalidRequest(f"{text!r} gives no valid Kubernetes name: pass --name")
    return name


def manifests(
    deployment: Deployment,
    *,
    name: str,
    image_repo: str,
    namespace: str = "default",
    min_replicas: int = 1,
    max_replicas: int = 4,
    cpu_target: int = 70,
    workers: int = 2,
) -> dict[str, list[dict[str, Any]]]:
    """File name -> the objects it holds, for the deployment's champion (and canary)."""
    if deployment.champion is None:
        raise InvalidRequest("the deployment has no champion: promote a version first")
    if not 1 <= min_replicas <= max_replicas:
        raise InvalidRequest("replicas: need 1 <= --min-replicas <= --max-replicas")
    name = dns_name(name)
    pod = _Pod(name, image_repo, namespace, workers)
    return {
        "kserve-inferenceservice.yaml": [
            pod.inference_service(deployment, min_replicas, max_replicas, cpu_target)
        ],
        "deployment.yaml": [pod.deployment(deployment.champion, min_replicas)],
        "service.yaml": [pod.service()],
        "hpa.yaml": [pod.autoscaler(min_replicas, max_replicas, cpu_target)],
    }


def write(objects: dict[str, list[dict[str, Any]]], dest: Path) -> list[Path]:
    """Write each file as YAML documents; returns the paths."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, docs in objects.items():
        path = dest / file_name
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        paths.append(path)
    return paths


class _Pod:
    """The container spec every manifest shares: image, port, probes, security, state."""

    def __init__(self, name: str, image_repo: str, namespace: str, workers: int) -> None:
        self.name, self.image_repo, self.namespace, self.workers = (
            name,
            image_repo,
            namespace,
            workers,
        )

    def metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "name": name or self.name,
            "namespace": self.namespace,
            "labels": {
                "app.kubernetes.io/name": self.name,
                "app.kubernetes.io/managed-by": "mlmom-lab",
            },
            **extra,
        }

    def container(self, version: str, port_name: str = "http") -> dict[str, Any]:
        secret = [
            {
                "name": env,
                "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key, "optional": True}},
            }
            for env, key in (("MLMOM_API_KEYS", "api-keys"), ("MLMOM_LOG_SALT", "log-salt"))
        ]
        return {
            "name": "server",
            "image": f"{self.image_repo}:{version}",
            "args": ["--workers", str(self.workers)],
            "ports": [{"name": port_name, "containerPort": PORT, "protocol": "TCP"}],
            "env": secret,
            "readinessProbe": _probe("/v2/health/ready", period=5),
            "livenessProbe": _probe("/v2/health/live", period=10),
            "startupProbe": {**_probe("/v2/health/ready", period=5), "failureThreshold": 60},
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"memory": "2Gi"},
            },
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [
                {"name": "state", "mountPath": STATE},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }

    def volumes(self) -> list[dict[str, Any]]:
        return [{"name": "state", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]

    def inference_service(
        self, deployment: Deployment, min_replicas: int, max_replicas: int, cpu_target: int
    ) -> dict[str, Any]:
        assert deployment.champion is not None  # manifests() refuses a deployment without
        canary = deployment.canary if deployment.canary and deployment.canary_weight > 0 else None
        predictor: dict[str, Any] = {
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "scaleMetric": "cpu",
            "scaleTarget": cpu_target,
            "containers": [self.container(canary or deployment.champion, port_name="http1")],
            "volumes": self.volumes(),
        }
        if canary:
            predictor["canaryTrafficPercent"] = round(deployment.canary_weight * 100)
        annotations = {
            "mlmom.dev/champion": deployment.champion,
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(PORT),
            "prometheus.io/path": "/metrics",
        }
        if canary:
            annotations["mlmom.dev/canary"] = canary
        return {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": self.metadata(annotations=annotations),
            "spec": {"predictor": predictor},
        }

    def deployment(self, version: str, replicas: int) -> dict[str, Any]:
        selector = {"app.kubernetes.io/name": self.name}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.metadata(annotations={"mlmom.dev/champion": version}),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": selector},
                "strategy": {
                    "type": "RollingUpdate",  # a new version never drops a request
                    "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
                },
                "template": {
                    "metadata": {
                        "labels": {**selector, "mlmom.dev/version": version},
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(PORT),
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        "containers": [self.container(version)],
                        "volumes": self.volumes(),
                        "terminationGracePeriodSeconds": 30,
                    },
                },
            },
        }

    def service(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.metadata(),
            "spec": {
                "type": "ClusterIP",
                "selector": {"app.kubernetes.io/name": self.name},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        }

    def autoscaler(self, min_replicas: int, max_replicas: int, cpu_target: int) -> dict[str, Any]:
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": self.metadata(),
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": self.name,
                },
                "minReplicas": min_replicas,
                "maxReplicas": max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": cpu_target},
                        },
                    }
                ],
            },
        }


def _probe(path: str, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": PORT},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }
