"""A store's failure said in one line: which store, where (never a password), what to do."""

import pytest

from mlmom_lab.errors import StoreUnavailable
from mlmom_lab.store_errors import store_error, without_password

REFUSED = (
    "API request to http://ada:hunter2@mlflow:5000/api/2.0/mlflow/registered-models/get "
    "failed with exception HTTPConnectionPool(host='mlflow', port=5000): Max retries exceeded"
)
UNAUTHORIZED = (
    "API request to endpoint /api/2.0/mlflow/registered-models/get failed with error code "
    "401 != 200. Response body: 'You are not authenticated.'"
)
FAILED = (
    "API request to endpoint /api/2.0/mlflow-artifacts/artifacts/1/a/model.onnx failed with "
    "error code 503 != 200. Response body: 'Service Unavailable'"
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (REFUSED, "the tracking server http://ada:***@mlflow:5000 does not answer"),
        (UNAUTHORIZED, "the tracking server http://mlflow:5000 refused the credentials (401)"),
        (FAILED, "the tracking server http://mlflow:5000 failed (503)"),
    ],
)
def test_mlflow_failures_name_the_server_without_its_password(message, expected):
    error = store_error(RuntimeError(message), "http://mlflow:5000")
    assert isinstance(error, StoreUnavailable) and error.exit_code == 4
    assert error.message.startswith(expected) and "hunter2" not in error.message
    assert "\n" not in error.message


def test_anything_else_is_not_a_store_error():
    assert store_error(ValueError("could not convert string to float: 'abc'")) is None
    not_found = "API request to endpoint /x failed with error code 404 != 200."
    assert store_error(RuntimeError(not_found), "http://mlflow") is None


def test_a_database_that_refuses_is_named_without_the_password():
    import sqlalchemy as sa

    engine = sa.create_engine("postgresql+psycopg2://ada:hunter2@127.0.0.1:9/db")
    with pytest.raises(sa.exc.OperationalError) as refused:
        engine.connect()
    error = store_error(refused.value)
    assert error is not None and "hunter2" not in error.message
    assert error.message.startswith("a database of the project does not answer")


def test_passwords_are_hidden_wherever_they_appear():
    assert without_password("see postgresql+psycopg2://ada:hunter2@db:5432/x and s3://b") == (
        "see postgresql+psycopg2://ada:***@db:5432/x and s3://b"
    )
    assert without_password("http://mlflow:5000/api") == "http://mlflow:5000/api"
