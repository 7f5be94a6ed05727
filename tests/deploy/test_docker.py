"""`mlmom build-docker`: a build context whose Dockerfile is sound and whose bundle really
serves (no Docker engine here: the image's entrypoint is run as is, from the context)."""

import json
import sys
import urllib.error
import urllib.request
from importlib import metadata

import pytest
from dockerfile_parse import DockerfileParser

from mlmom_lab.serving import runtime as rt

from ..helpers import mlmom, start_server

INSTRUCTIONS = {
    "FROM",
    "LABEL",
    "ENV",
    "WORKDIR",
    "COPY",
    "RUN",
    "USER",
    "VOLUME",
    "EXPOSE",
    "HEALTHCHECK",
    "ENTRYPOINT",
    "CMD",
    "COMMENT",
    "ARG",
}


@pytest.fixture(scope="module")
def context(example_run, tmp_path_factory):
    project, _ = example_run
    dest = tmp_path_factory.mktemp("docker") / "ctx"
    result = mlmom("build-docker", "-o", str(dest), cwd=project.root, check=True)
    assert f"docker build -t {project.spec.model}:1 {dest}" in result.stdout
    return dest


def test_the_dockerfile_builds_a_non_root_server_of_the_version(context):
    parsed = DockerfileParser(str(context / "Dockerfile"))
    steps = parsed.structure
    assert {s["instruction"] for s in steps} <= INSTRUCTIONS
    assert next(s["instruction"] for s in steps if s["instruction"] != "COMMENT") == "FROM"
    assert parsed.baseimage == f"python:{sys.version_info.major}.{sys.version_info.minor}-slim"
    assert parsed.labels["dev.mlmom.model"] == "churn-classifier"
    assert parsed.labels["dev.mlmom.version"] == "1"
    one = {s["instruction"]: s["value"] for s in steps}
    assert one["EXPOSE"] == "8080" and one["USER"] == "10001"
    assert json.loads(one["ENTRYPOINT"]) == [
        "mlmom",
        "serve",
        "--bundle",
        "/srv/model",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert "/v2/health/ready" in one["HEALTHCHECK"]
    for step in steps:
        if step["instruction"] == "COPY":
            source = step["value"].split()[0]
            assert (context / source).exists(), f"COPY {source}: not in the build context"


def test_the_context_pins_what_was_tested_and_carries_the_source(context):
    pins = dict(line.split("==") for line in (context / "constraints.txt").read_text().split())
    assert pins["onnxruntime"] == metadata.version("onnxruntime")
    assert pins["scikit-learn"] == metadata.version("scikit-learn")
    assert "mlmom-lab" not in pins
    # ONNX Runtime comes with an extra: the image installs the CPU build
    assert (
        "pip install --constraint /srv/constraints.txt '/srv/src[cpu]'"
        in (context / "Dockerfile").read_text()
    )
    assert 'name = "mlmom-lab"' in (context / "src" / "pyproject.toml").read_text()
    assert (context / "src" / "mlmom_lab" / "serving" / "app.py").is_file()
    assert not list((context / "src").rglob("__pycache__"))


@pytest.mark.http
def test_the_bundle_serves_alone_like_the_registry_version(example_run, context, tmp_path):
    project, _ = example_run
    bundle = context / "bundle"
    row = {
        "tenure_months": [3, 40],
        "monthly_charges": [90.5, 20.0],
        "contract": ["month-to-month", "two-year"],
        "internet_service": ["fiber", "dsl"],
        "payment_method": ["electronic-check", "credit-card"],
        "support_calls": [4, 0],
    }
    version = rt.load(project, "1")
    expected = version.predict(version.schema.validate(row))
    proc, port = start_server(
        tmp_path, "--bundle", str(bundle), env={"MLMOM_STATE_DIR": str(tmp_path / "state")}
    )
    try:
        body = json.dumps({"inputs": row}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.loads(response.read())["predictions"] == expected.values.tolist()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/deployment/promote",
                    data=b"{}",
                    method="POST",
                    headers={"content-type": "application/json"},
                ),
                timeout=60,
            )
        assert refused.value.code == 404
        assert "one exported version" in json.loads(refused.value.read())["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    assert (tmp_path / "state" / "predictions.db").is_file()  # the log lives in the volume


def test_bad_input_fails_in_one_line(example_run, context, tmp_path):
    project, _ = example_run
    result = mlmom("build-docker", "-o", str(context), cwd=project.root)
    assert result.returncode == 1 and "is not empty" in result.stderr
    result = mlmom("build-docker", "99", "-o", str(tmp_path / "x"), cwd=project.root)
    assert result.returncode == 1 and "99" in result.stderr and "Traceback" not in result.stderr
    result = mlmom("serve", "--bundle", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1 and "is not a model bundle" in result.stderr
