"""The report pattern both checks share: Settings validated the same way, the commands' schemas
made from them, JSON without NaN, aligned columns."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from net221.checks import compare, gradcheck
from net221.checks.report import Diagnosis, columns, json_ready, schema_fields
from net221.errors import ConfigValueError


@pytest.mark.parametrize("settings", [gradcheck.Settings, compare.Settings])
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("points", -1, "points=-1: must be an integer >= 0"),
        ("seed", 1.5, "seed=1.5: must be an integer >= 0"),
        ("tolerance", 0.0, "tolerance=0.0: must be a finite number > 0"),
        ("abs_floor", math.nan, "abs_floor=nan: must be a finite number > 0"),
        ("timeout", True, "timeout=True: must be a finite number > 0"),
    ],
)
def test_both_settings_refuse_the_same_values_the_same_way(
    settings: type, key: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigValueError) as info:
        settings(**{key: value})
    assert str(info.value) == message


def test_a_minimum_and_none_where_the_type_allows_it() -> None:
    with pytest.raises(ConfigValueError, match=r"^epochs=0: must be an integer >= 1$"):
        compare.Settings(epochs=0)
    assert gradcheck.Settings(timeout=None).timeout is None
    with pytest.raises(ConfigValueError, match=r"^timeout=None: must be a finite number > 0$"):
        compare.Settings(timeout=None)  # type: ignore[arg-type]


def test_the_schemas_are_the_settings_fields() -> None:
    from net221.app.compare import CompareConfig
    from net221.app.gradcheck import GradcheckConfig

    for schema, settings, extra in (
        (GradcheckConfig, gradcheck.Settings, {"formula", "report"}),
        (CompareConfig, compare.Settings, {"impl", "trajectory", "report", "figure"}),
    ):
        defaults = {f.name: f.default for f in dataclasses.fields(schema)}
        assert set(defaults) == extra | {name for name, _, _ in schema_fields(settings)}
        assert {k: v for k, v in defaults.items() if k not in extra} == dataclasses.asdict(settings())


def test_json_ready_writes_what_json_cannot_hold_as_strings() -> None:
    data = {
        "a": np.float64(math.inf),
        "b": [np.int64(2), math.nan],
        "c": Diagnosis("why", [{"x": -math.inf}]),
    }
    assert json.loads(json.dumps(json_ready(data), allow_nan=False)) == {
        "a": "inf",
        "b": [2, "nan"],
        "c": {"cause": "why", "evidence": [{"x": "-inf"}]},
    }


def test_columns_align_left_and_right() -> None:
    assert columns([["name", "value"], ["w1", "0.5"], ["b3", "12.25"]], left={0}) == [
        "name   value",
        "w1       0.5",
        "b3     12.25",
    ]
