"""HTTPS: `mlmom serve --ssl-certfile/--ssl-keyfile` on 127.0.0.1 with a real certificate."""

import json
import ssl
import urllib.error
import urllib.request

import pytest

from ..helpers import mlmom, own_copy, self_signed_certificate, start_server

pytestmark = pytest.mark.http  # every test here talks to a real server on 127.0.0.1


def test_serves_https_with_the_given_certificate(example_run, tmp_path):
    project = own_copy(example_run[0], tmp_path / "churn")
    cert, key = self_signed_certificate(tmp_path)
    trusting = ssl.create_default_context(cafile=str(cert))
    proc, port = start_server(
        project.root, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), context=trusting
    )
    try:
        body = json.dumps(
            {
                "inputs": {
                    "tenure_months": [3],
                    "monthly_charges": [90.5],
                    "contract": ["month-to-month"],
                    "internet_service": ["fiber"],
                    "payment_method": ["electronic-check"],
                    "support_calls": [4],
                }
            }
        ).encode()
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/invocations",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, context=trusting, timeout=60) as response:
            assert response.status == 200
            assert len(json.loads(response.read())["predictions"]) == 1
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(
                f"https://127.0.0.1:{port}/ping", timeout=60, context=ssl.create_default_context()
            )  # not trusted: refused
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=60)  # no plain HTTP
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def test_incomplete_or_mismatched_tls_settings_fail_in_one_line(example_run, tmp_path):
    project, _ = example_run
    cert, _ = self_signed_certificate(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, wrong_key = self_signed_certificate(other)
    result = mlmom("serve", "--ssl-certfile", str(cert), cwd=project.root)
    assert result.returncode != 0 and "needs both --ssl-certfile and --ssl-keyfile" in result.stderr
    result = mlmom(
        "serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(wrong_key), cwd=project.root
    )
    assert result.returncode != 0 and "do not load together" in result.stderr
    assert "Traceback" not in result.stderr and "BEGIN" not in result.stderr  # no key material
