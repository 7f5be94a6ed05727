import pytest

from mlmom_lab.config import Stage
from mlmom_lab.errors import ParameterError
from mlmom_lab.pipeline.params import parse_overrides, resolve

STAGES = {
    "train": Stage(
        notebook="t.ipynb",
        params={"n": 3, "rate": 0.5, "flag": False, "name": "rf", "grid": [1, 2], "opts": {"a": 1}},
    )
}


def test_values_are_read_as_yaml_with_their_types():
    parsed = parse_overrides(
        [
            "train.n=5",
            "train.rate=1e-3",
            "train.flag=true",
            "train.name=gb",
            "train.grid=[3, 4]",
            "train.opts={a: 2, b: x}",
        ]
    )
    assert parsed == {
        "train": {
            "n": 5,
            "rate": 0.001,
            "flag": True,
            "name": "gb",
            "grid": [3, 4],
            "opts": {"a": 2, "b": "x"},
        }
    }
    params = resolve(STAGES, parsed)["train"]
    assert params["rate"] == 0.001 and isinstance(params["n"], int)


def test_int_may_stand_for_float_and_is_injected_as_float():
    params = resolve(STAGES, parse_overrides(["train.rate=2"]))["train"]
    assert params["rate"] == 2.0 and isinstance(params["rate"], float)


@pytest.mark.parametrize(
    "pair, message",
    [
        ("train.n=abc", "parameter train.n: expected int"),
        ("train.flag=3", "parameter train.flag: expected bool"),
        ("train.missing=1", "declares no parameter 'missing'"),
        ("nostage.n=1", "no stage named 'nostage'"),
    ],
)
def test_bad_overrides_are_named(pair, message):
    with pytest.raises(ParameterError, match=message):
        resolve(STAGES, parse_overrides([pair]))


@pytest.mark.parametrize("pair", ["train", "train=1", "n=1", ".n=1"])
def test_malformed_pairs(pair):
    with pytest.raises(ParameterError, match="expected STAGE.KEY=VALUE"):
        parse_overrides([pair])


def test_null_only_where_the_spec_allows_it_and_dates_stay_text():
    stages = {"train": Stage(notebook="t.ipynb", params={"C": 1.0, "anything": None, "day": "x"})}
    with pytest.raises(
        ParameterError, match="parameter train.C: expected float like the spec's 1.0, got null"
    ):
        resolve(stages, parse_overrides(["train.C=null"]))
    params = resolve(stages, parse_overrides(["train.anything=null", "train.day=2024-02-01"]))[
        "train"
    ]
    assert params["anything"] is None and params["day"] == "2024-02-01"


def test_overrides_given_are_not_changed():
    given = {"train": {"rate": 2}}
    resolve(STAGES, given)
    assert given == {"train": {"rate": 2}}
