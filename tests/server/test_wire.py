"""The wire contract is defined once: every route names its answer model, answers refuse
fields the contract lacks, and the JSON Schema and the TypeScript types generated from it
are those of the current models."""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pydantic
import pytest

from mlmom_lab.server import wire, wire_schema
from mlmom_lab.server.actions import ACTIONS
from mlmom_lab.server.routes import READS, CardHandler, ExecutedNotebookHandler

pytestmark = pytest.mark.unit

EXTENSION = Path(__file__).resolve().parents[2] / "labextension"
REGENERATE = "python -m mlmom_lab.server.wire_schema labextension/wire"


def test_every_route_names_its_answer_model():
    for name, handler in READS.items():
        html = handler in (ExecutedNotebookHandler, CardHandler)  # those answer HTML pages
        assert html or handler.answer, name
    for name, (handler, _) in ACTIONS.items():
        assert issubclass(handler.answer, wire.Answer), name


def test_an_answer_with_a_field_the_contract_lacks_is_refused():
    deployment = {"champion": "1", "canary": None, "canary_weight": 0.0, "shadow": None,
                  "seq": 1, "updated_at": 0.0, "reason": "", "by": "me"}  # fmt: skip
    assert json.loads(wire.answer(wire.Deployment, deployment)) == deployment
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        wire.answer(wire.Deployment, {**deployment, "surprise": 1})


def test_a_float_that_is_not_finite_is_null_and_a_foreign_history_line_is_left_out():
    performance = {"measured": {"roc_auc": float("nan"), "mae": float("inf")}}
    assert json.loads(wire.answer(wire.Performance, performance)) == {
        "measured": {"roc_auc": None, "mae": None}
    }
    check = {"ts": 1.0, "model": "m", "version": "1", "rows": 3, "dataset_drift_share": 0.0,
             "performance": {}, "alerts": []}  # fmt: skip
    assert wire.valid(wire.Check, [check, {"from": "elsewhere"}, 7]) == [check]


@pytest.mark.parametrize("part", wire_schema.PARTS)
def test_the_json_schema_of_each_part_is_that_of_the_models(part):
    shipped = json.loads((EXTENSION / "wire" / f"{part}.schema.json").read_text())
    assert shipped == wire_schema.json_schema(part), f"out of date: run `{REGENERATE}`"


def test_the_parts_name_every_model_once():
    named = [name for part in wire_schema.PARTS for name in wire_schema.json_schema(part)["$defs"]]
    assert len(named) == len(set(named)), "a model is in two parts: its type would be twice"
    models = {m.__name__ for m in (*wire.REQUESTS, *wire.ANSWERS)}
    assert models <= set(named)


def test_the_typescript_types_are_generated_from_those_schemas(tmp_path):
    json2ts = EXTENSION / "node_modules" / ".bin" / "json2ts"
    if not json2ts.exists() or not shutil.which("node"):
        pytest.fail("labextension/node_modules is missing: `pip install -e .` installs it")
    script = json.loads((EXTENSION / "package.json").read_text())["scripts"]["build:wire"]
    for command in script.split(" && "):
        args = shlex.split(command)
        shipped = EXTENSION / args[args.index("-o") + 1]
        args[args.index("-o") + 1] = str(tmp_path / shipped.name)
        subprocess.run([str(json2ts), *args[1:]], cwd=EXTENSION, check=True, timeout=120)
        assert (tmp_path / shipped.name).read_text() == shipped.read_text(), (
            f"{shipped.relative_to(EXTENSION)} is out of date: run `jlpm build:wire` in "
            "labextension/"
        )
    assert len(script.split(" && ")) == len(wire_schema.PARTS)
