"""net221.checks.gradcheck as a library: the points, the witnesses, the comparison, the table and report."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from net221.checks.formula import load_formula
from net221.checks.gradcheck import (
    INPUT_RANGE,
    Settings,
    autograd_partials,
    check,
    compare,
    finite_difference_partials,
    gradcheck_points,
    random_points,
    relative_error,
)
from net221.derivation import blog_partials
from net221.ensemble import Ensemble
from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES

from conftest import WORKED_GRADIENTS

EXAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "my_partials.py"
HIDDEN = ["w1", "w2", "w3", "w4", "b1", "b2"]
OUTPUT = ["w5", "w6", "b3"]


def write_wrong_w4(folder: Path) -> Path:
    """scripts/my_partials.py with dh2/dw4 taking x1 where x2 belongs."""
    text = EXAMPLE.read_text()
    assert text.count("d_h2_d_w4 = x2 *") == 1
    path = folder / "wrong_w4.py"
    path.write_text(text.replace("d_h2_d_w4 = x2 *", "d_h2_d_w4 = x1 *"))
    return path


# --- points and witnesses ----------------------------------------------------------------


def test_points() -> None:
    points = gradcheck_points(50, seed=3)
    assert len(points) == 51
    example = points[0]
    assert example.kind == "worked_example"
    assert example.params == dict(zip(BLOG_NAMES, [1.0] * 6 + [0.0] * 3, strict=True))
    assert (example.x1, example.x2, example.y_true) == (-2.0, -1.0, 1.0)
    randoms = points[1:]
    assert all(p.kind == "random" for p in randoms)
    assert all(abs(p.x1) <= INPUT_RANGE and abs(p.x2) <= INPUT_RANGE for p in randoms)
    assert {p.y_true for p in randoms} == {0.0, 1.0}
    weights = np.array([[p.params[name] for name in BLOG_NAMES] for p in randoms])
    assert 0.7 < weights.std() < 1.3 and abs(weights.mean()) < 0.2
    # seeded, and point k is the same whatever the number of points
    assert random_points(5, seed=3) == randoms[:5]
    assert random_points(5, seed=4) != randoms[:5]
    assert gradcheck_points(0, seed=3) == [example]


def test_autograd_witness_matches_an_ensemble_of_all_points() -> None:
    """The per-point Net221 and an Ensemble holding every point as a member: two routes
    through net221's modules to the same gradients."""
    points = gradcheck_points(30, seed=5)
    ensemble = Ensemble(np.array([[p.params[name] for name in BLOG_NAMES] for p in points]))
    x = torch.tensor([[[p.x1, p.x2]] for p in points], dtype=torch.float64)
    y = torch.tensor([[[p.y_true]] for p in points], dtype=torch.float64)
    ((y - ensemble(x)) ** 2).sum().backward()
    expected = ensemble.flat_grad()
    got = autograd_partials(points)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-300)
    assert got[0] == pytest.approx([WORKED_GRADIENTS[name] for name in BLOG_NAMES], abs=1e-10)


def test_finite_differences_approximate_the_blog_partials() -> None:
    points = gradcheck_points(30, seed=6)
    exact = np.array(
        [
            [blog_partials(**p.params, x1=p.x1, x2=p.x2, y_true=p.y_true)[n] for n in BLOG_NAMES]
            for p in points
        ]
    )

    assert np.abs(finite_difference_partials(points, 1e-4) - exact).max() < 1e-7
    # a step of 0.01 is coarse enough to show the O(step^2) truncation error
    assert 1e-7 < np.abs(finite_difference_partials(points, 1e-2) - exact).max() < 1e-2


def test_relative_error_has_a_floor_and_keeps_non_finite_values() -> None:
    a, b = np.array([2.0, 1e-15, 3e-15]), np.array([1.0, 0.0, 1e-15])
    assert relative_error(a, b, 1e-12).tolist() == pytest.approx([1.0, 1e-3, 2e-3])
    assert relative_error(a, b, 1e-20)[2] == pytest.approx(2.0)
    odd = relative_error(np.array([math.inf, math.nan, 1e308]), np.array([1.0, 1.0, 1e-300]), 1e-12)
    assert odd[0] == math.inf and math.isnan(odd[1]) and odd[2] == math.inf


# --- the comparison ----------------------------------------------------------------------


def test_blog_passes_with_room_to_spare() -> None:
    result = compare(load_formula("blog"), Settings(points=300, seed=1))
    assert result.passed and result.failed == []
    assert len(result.points) == 301 and result.seed == 1
    for p in result.parameters:
        assert p.max_rel_error < 1e-12, p
        assert p.fd_max_rel_error < 1e-6, p
        assert p.formula_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-10)
        assert p.autograd_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-10)
        assert p.fd_at_example == pytest.approx(WORKED_GRADIENTS[p.name], abs=1e-8)


@pytest.mark.parametrize(
    ("formula", "failing"),
    [("seed_notes", list(BLOG_NAMES)), ("seed_notes_loss", list(BLOG_NAMES)), ("seed_notes_hidden", HIDDEN)],
)
def test_documented_mistakes_fail_on_the_expected_parameters(formula: str, failing: list[str]) -> None:
    result = check(formula, points=50)
    assert not result.passed
    assert result.failed == failing
    for p in result.parameters:
        if p.name in failing:
            # clearly wrong, not borderline, by both witnesses
            assert p.max_rel_error > 1e-2 and p.fd_max_rel_error > 1e-2, p
            assert not p.autograd_pass and not p.fd_pass
        else:
            assert p.name in OUTPUT
            assert p.max_rel_error < 1e-12 and p.passed, p


def test_a_user_formula_with_one_wrong_partial_fails_on_exactly_that_one(tmp_path: Path) -> None:
    result = check(f"{write_wrong_w4(tmp_path)}:my_partials", points=50)
    assert result.failed == ["w4"]
    assert result.parameters[BLOG_NAMES.index("w4")].max_rel_error > 0.1


def test_tolerances_decide_pass_and_fail() -> None:
    # the blog's formula vs autograd differs only by rounding (~1e-16 relative) ...
    strict = check("blog", points=20, tolerance=1e-20)
    assert strict.failed, "rounding differences exceed a 1e-20 tolerance somewhere"
    assert all(p.fd_pass for p in strict.parameters)
    # ... and finite differences with a coarse step fail a tight fd_tolerance alone
    coarse = check("blog", points=20, step=1e-1, fd_tolerance=1e-6)
    assert coarse.failed and all(p.autograd_pass for p in coarse.parameters)
    assert {p.name for p in coarse.parameters if not p.passed} == set(coarse.failed)


def test_check_in_one_call_from_python(tmp_path: Path) -> None:
    """The notebook API: a function, a built-in name or a file:function spec."""

    def my_partials(**kw: float) -> dict[str, float]:
        return blog_partials(**kw)

    result = check(my_partials, points=10)
    assert result.passed
    assert result.formula.spec.endswith("my_partials")
    assert result.summary.startswith(f"PASS: {result.formula.spec} agrees on all 9 partials at 11 points")
    assert "at the worked example" in result.table
    assert result.report["passed"] is True and len(result.report["points"]) == 11
    assert repr(result) == f"<GradcheckResult {result.summary}>"

    by_file = check(f"{EXAMPLE}:my_partials", Settings(points=10, seed=4))
    assert by_file.passed and by_file.seed == 4
    assert check(f"{write_wrong_w4(tmp_path)}:my_partials", points=10).failed == ["w4"]
    with pytest.raises(TypeError, match="expected a function or a formula spec"):
        check(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check("blog", no_such_setting=1)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("points", -1, "points=-1: must be an integer >= 0"),
        ("points", 2.5, "points=2.5: must be an integer >= 0"),
        ("seed", -3, "seed=-3: must be an integer >= 0"),
        ("step", 0.0, "step=0.0: must be a finite number > 0"),
        ("step", -1e-4, "step=-0.0001: must be a finite number > 0"),
        ("tolerance", 0.0, "tolerance=0.0: must be a finite number > 0"),
        ("fd_tolerance", -1.0, "fd_tolerance=-1.0: must be a finite number > 0"),
        ("abs_floor", 0.0, "abs_floor=0.0: must be a finite number > 0"),
        ("fd_abs_floor", math.inf, "fd_abs_floor=inf: must be a finite number > 0"),
        ("tolerance", math.nan, "tolerance=nan: must be a finite number > 0"),
        ("timeout", 0, "timeout=0: must be a finite number > 0"),
        ("timeout", "10", "timeout='10': must be a finite number > 0"),
    ],
)
def test_settings_that_cannot_work(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigValueError) as info:
        Settings(**{key: value})  # type: ignore[arg-type]
    assert str(info.value) == message


def test_settings_defaults() -> None:
    assert Settings() == Settings(
        points=100,
        seed=0,
        step=1e-4,
        tolerance=1e-8,
        abs_floor=1e-12,
        fd_tolerance=1e-5,
        fd_abs_floor=1e-5,
        timeout=10.0,
    )
    assert Settings(timeout=None).timeout is None
    # NumPy numbers will do, and the report still serialises
    numpy_settings = Settings(points=np.int64(2), step=np.float32(1e-4), timeout=np.float64(5))  # type: ignore[arg-type]
    report = check("blog", numpy_settings).report
    assert json.loads(json.dumps(report, allow_nan=False))["settings"]["timeout"] == 5.0
    assert report["settings"]["step"] == pytest.approx(1e-4)


# --- the table and the report -------------------------------------------------------------


def test_table_names_where_each_value_comes_from() -> None:
    result = check("seed_notes_hidden", points=7, seed=9)
    lines = result.table.splitlines()
    assert "at the worked example" in lines[0] and "worst over 8 points" in lines[0]
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in BLOG_NAMES}
    assert list(rows) == list(BLOG_NAMES)
    named = set()
    for p in result.parameters:
        cells = rows[p.name].split()
        # formula, autograd at the example; then four "error #point" pairs; then the verdict
        assert float(cells[1]) == pytest.approx(p.formula_at_example, abs=1e-10)
        points = [int(cell[1:]) for cell in cells if cell.startswith("#")]
        assert points == [p.abs_worst_point, p.worst_point, p.fd_abs_worst_point, p.fd_worst_point]
        assert cells[-1] == ("PASS" if p.passed else "FAIL")
        named.update(points)
    listed = lines[lines.index("Points (x1, x2, y_true):") + 1 :]
    for index in named:
        point = result.points[index]
        assert f"#{index} ({point.x1:.6g}, {point.x2:.6g}, {point.y_true:g})" in " ".join(listed)
    assert len(" ".join(listed).split("#")) - 1 == len(named)


def test_report_holds_every_point_and_is_strict_json() -> None:
    result = check("seed_notes_hidden", points=7, seed=9)
    data = json.loads(json.dumps(result.report, allow_nan=False))
    assert data["settings"]["points"] == 8 and data["settings"]["random_points"] == 7
    assert data["settings"]["seed"] == 9 and data["settings"]["timeout"] == 10.0
    assert len(data["points"]) == 8
    for i, point in enumerate(data["points"]):
        assert point["index"] == i
        assert set(point["params"]) == set(BLOG_NAMES)
        for witness in ("formula", "autograd", "finite_difference"):
            assert list(point[witness]) == list(BLOG_NAMES)
        assert point["formula"]["w3"] == 0.0
    assert {name: data["parameters"][name]["pass"] for name in BLOG_NAMES} == {
        name: name in OUTPUT for name in BLOG_NAMES
    }
    w1 = data["parameters"]["w1"]
    assert w1["max_rel_error"] == result.parameters[0].max_rel_error
    assert w1["worst_point"] == result.parameters[0].worst_point
    assert data["failed"] == HIDDEN
    # points given rather than drawn: no seed to report
    assert (
        compare(load_formula("blog"), Settings(), gradcheck_points(2, seed=5)).report["settings"]["seed"]
        is None
    )


def test_non_finite_and_huge_partials_fail_and_the_report_stays_json() -> None:
    def overflowing(**kw: float) -> dict[str, float]:
        partials = blog_partials(**kw)
        partials["w1"] = math.inf
        partials["w2"] = math.nan
        partials["b1"] = 1e308 if kw["y_true"] else -1e308
        partials["b2"] = -math.inf if kw["y_true"] else partials["b2"]
        return partials

    result = check(overflowing, points=6)
    assert result.failed == ["w1", "w2", "b1", "b2"]
    text = json.dumps(result.report, allow_nan=False)  # raises on NaN or infinity
    data = json.loads(text)
    example = data["points"][0]["formula"]
    assert (example["w1"], example["w2"], example["b1"], example["b2"]) == ("inf", "nan", 1e308, "-inf")
    assert data["parameters"]["w1"]["max_rel_error"] == "inf"
    assert data["parameters"]["w2"]["max_abs_error"] == "nan"
    assert data["parameters"]["b1"]["max_rel_error"] == "inf"  # 2e308 overflows
    assert "strings" in data["non_finite"]
    assert "nan #0" in result.table and "inf #0" in result.table


def test_a_diagnosis_leads_the_summary_and_goes_to_the_report() -> None:
    from net221.checks.report import Diagnosis

    result = dataclasses.replace(check("seed_notes_hidden", points=3), diagnosis=None)
    cause = "your dL/dw1 equals the correct one with x2 for x1"
    diagnosed = dataclasses.replace(result, diagnosis=Diagnosis(cause, [{"partial": "w1", "explains": True}]))
    assert diagnosed.summary == f"FAIL: {cause}; {result.summary.removeprefix('FAIL: ')}"
    report = json.loads(json.dumps(diagnosed.report, allow_nan=False))
    assert report["diagnosis"] == {"cause": cause, "evidence": [{"partial": "w1", "explains": True}]}
    assert check("blog", points=3).report["diagnosis"] is None  # a formula that passes has none
