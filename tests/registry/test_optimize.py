"""`mlmom registry optimize --quantize int8`: a network's ONNX graph (the twin of a
scikit-learn MLP, and a network registered as an ONNX graph) gets an int8 variant, judged on
held-out rows and kept only within the tolerance; the registry shows its figures; a server
asked for the variant answers with it (within the reported loss of the float answers); a
tree ensemble and bad input are refused in one line, with nothing changed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import requests

from mlmom_lab import registration, registry
from mlmom_lab.errors import InvalidInput, InvalidRequest
from mlmom_lab.project import load_project
from mlmom_lab.registry.kinds import OnnxGraph
from mlmom_lab.registry.optimize import optimize
from mlmom_lab.serving.runtime import load

from ..helpers import mlmom, notebook, spec, start_server


def rows(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Sixteen numeric features, a label that depends on a few of them non-linearly."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 16)), columns=[f"x{i}" for i in range(16)])
    label = ((frame.x0 * frame.x1 + np.sin(frame.x2) - 0.5 * frame.x3) > 0).astype(int)
    return frame, label.rename("label")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Version 1: an MLP pipeline (its twin quantizes); version 2: a random forest (its
    twin does not)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    root = tmp_path_factory.mktemp("optimize")
    notebook(root / "noop.ipynb", "", "pass")
    spec(root, {"noop": {"notebook": "noop.ipynb"}})
    project = load_project(root)
    X, y = rows(3000, seed=0)
    held, held_y = rows(600, seed=1)
    net = make_pipeline(
        StandardScaler(), MLPClassifier((128, 128), max_iter=60, random_state=0)
    ).fit(X, y)
    registration.register_model(
        net, held.head(5), held_out=held, held_out_target=held_y, reference=X.head(500),
        project=project,
    )  # fmt: skip
    # whole numbers (thresholds float32 holds exactly), odd trees: its twin passes parity
    forest = RandomForestClassifier(21, random_state=0).fit(X.round(), y)  # no tied votes
    registration.register_model(forest, held.round().head(5), held_out=held.round(),
                                project=project)  # fmt: skip
    assert registry.get_version("toy-model", "2", project).onnx["status"] == "ok"
    held.assign(label=held_y).to_parquet(root / "held.parquet")
    return project


def test_the_int8_variant_is_smaller_judged_on_labels_and_kept(project):
    held = pd.read_parquet(project.root / "held.parquet")
    done = mlmom(
        "registry", "optimize", "1", "--quantize", "int8", "--data", "held.parquet",
        "--target", "label", "--json", cwd=project.root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    variant = json.loads(done.stdout)
    assert variant["kept"] and variant["labelled"] and variant["metric"] == "accuracy"
    assert variant["rows"] == len(held)
    assert variant["size_bytes"] < variant["float_size_bytes"] / 2
    assert variant["loss"] <= variant["tolerance"] == 0.01
    assert set(variant["ms"]) == set(variant["float_ms"]) == {"1", "1024"}
    shown = registry.get_version("toy-model", "1", project).onnx["variants"]["int8"]
    assert shown == variant
    listed = mlmom("registry", "list", cwd=project.root, check=True).stdout
    assert "ok+int8" in listed.splitlines()[-1]  # the oldest version, last


def test_without_labels_it_is_judged_on_the_kept_rows_by_agreement(project):
    info = registry.get_version("toy-model", "1", project)
    variant = optimize(project, info, quantize="int8", tolerance=0.05)
    assert variant.metric == "agreement" and not variant.labelled
    assert variant.rows > 0 and variant.loss == pytest.approx(1 - variant.value)


def test_a_variant_that_loses_too_much_is_not_kept_and_exits_1(project, tmp_path):
    """Judged on rows where int8 answers otherwise than the float graph (found among many
    random rows, each alone), the variant agrees on none: not kept, exit 1, the figures recorded."""
    info = registry.get_version("toy-model", "1", project)
    optimize(project, info, tolerance=0.05)
    float32, int8 = (graph(project, info.run_id, name) for name in ("model", "model.int8"))
    many, _ = rows(10_000, seed=7)
    alone = np.concatenate([int8.predict(many.iloc[i : i + 1]) for i in range(len(many))])
    differ = many[float32.predict(many) != alone]  # int8 answers depend on the batch: alone
    assert len(differ), "int8 changed no answer in 10,000 rows: pick a harder model"
    differ.to_parquet(tmp_path / "hard.parquet")
    done = mlmom(
        "registry", "optimize", "1", "--quantize", "int8", "--data", str(tmp_path / "hard.parquet"),
        cwd=project.root,
    )  # fmt: skip
    assert done.returncode == 1 and "not kept: loses 1 agreement > tolerance 0.01" in done.stdout
    record = registry.get_version("toy-model", "1", project).onnx["variants"]["int8"]
    assert (record["kept"], record["value"], record["rows"]) == (False, 0.0, len(differ))
    assert load(project, "1", variant="int8").variant == ""  # the float graph serves again


def graph(project, run_id: str, name: str) -> OnnxGraph:
    """One of the version's ONNX graphs, as registry optimize judges it."""
    from mlmom_lab.registry.reading import reader_for

    return OnnxGraph(reader_for(project).run_file(run_id, f"onnx/{name}.onnx"))


def test_a_tree_ensemble_is_refused_with_the_reason(project):
    done = mlmom("registry", "optimize", "2", "--quantize", "int8", cwd=project.root)
    assert done.returncode == 1
    assert "is a tree ensemble (TreeEnsemble" in done.stderr
    assert "int8 quantization applies to the weights of MatMul" in done.stderr
    assert "variants" not in registry.get_version("toy-model", "2", project).onnx


@pytest.mark.parametrize(
    "args, message",
    [
        (("--data", "held.parquet", "--target", "nope"), "--target 'nope': not a column"),
        (("--target", "label"), "--target names a column of --data"),
        (("--data", "noop.ipynb"), "not a readable .parquet or .csv file"),
        (("--tolerance", "1.5"), "tolerance 1.5: between 0 and 1"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(project, args, message):
    before = registry.get_version("toy-model", "1", project).onnx
    done = mlmom("registry", "optimize", "1", "--quantize", "int8", *args, cwd=project.root)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert registry.get_version("toy-model", "1", project).onnx == before


def test_bad_rows_are_named(project):
    info = registry.get_version("toy-model", "1", project)
    with pytest.raises(InvalidInput, match="the rows have 15 columns; the model takes 16"):
        optimize(project, info, rows=rows(50, 2)[0].drop(columns="x0"))
    with pytest.raises(InvalidRequest, match="--quantize 'int4'"):
        optimize(project, info, quantize="int4")


@pytest.mark.http
def test_a_server_asked_for_the_variant_answers_with_it(project):
    optimize(project, registry.get_version("toy-model", "1", project), tolerance=0.05)
    held, _ = rows(64, seed=5)
    float32 = load(project, "1")
    int8 = load(project, "1", variant="int8")
    assert int8.variant == "int8" and float32.variant == ""
    columns = {c: held[c].to_numpy() for c in held.columns}
    same = np.mean(int8.predict(columns).values == float32.predict(columns).values)
    assert same >= 0.9  # the variant's own answers, close to the float graph's
    registry.promote("1", project=project, reason="test: serve the network")
    proc, port = start_server(project.root, "--workers", "1", "--variant", "int8")
    try:
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        runs_on = [line for line in metrics.splitlines() if line.startswith("mlmom_model_runs_on")]
        assert any('variant="int8"' in line and 'version="1"' in line for line in runs_on)
        answer = requests.post(
            f"http://127.0.0.1:{port}/invocations",
            json={"dataframe_split": json.loads(held.to_json(orient="split", index=False))},
            timeout=30,
        )
        assert answer.status_code == 200
        assert answer.json()["predictions"] == int8.predict(columns).values.tolist()
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def test_a_network_registered_as_an_onnx_graph_gets_its_own_variant(project):
    """The model is itself a graph (as from torch.onnx): its variant replaces it when asked."""
    from skl2onnx import to_onnx
    from sklearn.neural_network import MLPRegressor

    X, _ = rows(2000, seed=3)
    target = X.x0 * 2 + X.x1 * X.x2
    net = MLPRegressor(hidden_layer_sizes=(64,), max_iter=200, random_state=0).fit(
        X.to_numpy(np.float32), target
    )
    graph = to_onnx(net, X.to_numpy(np.float32)[:1])
    info = registration.register_model(graph, X.head(5), held_out=X.head(300), project=project)
    assert info.kind == "onnx"
    variant = optimize(project, info, rows=X.head(300), target=target.head(300), tolerance=0.2)
    assert variant.kept and variant.metric == "rmse", variant
    served = load(project, info.version, variant="int8")
    assert served.variant == "int8" and isinstance(served.native, OnnxGraph)
    assert len(served.native.graph) == variant.size_bytes
    # the graph runs where the server's providers say, and says where it really runs
    assert served.providers == served.native.session.get_providers() == ["CPUExecutionProvider"]
    asked = load(project, info.version, providers=["CPUExecutionProvider"])
    assert asked.providers == ["CPUExecutionProvider"] and asked.native.session is not None
