import pytest


@pytest.fixture(scope="session")
def champion(example_run):
    """The example's champion, loaded and calibrated once per test process."""
    from mlmom_lab.serving import runtime as rt

    project, _ = example_run
    return rt.load(project, "champion")


@pytest.fixture(scope="session")
def held_out(example_run):
    """The example's held-out rows without the label."""
    import pandas as pd

    project, _ = example_run
    return pd.read_parquet(project.root / "data" / "test.parquet").drop(columns="churned")
